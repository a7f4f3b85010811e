from dlcalc.app.cli import main

main()
