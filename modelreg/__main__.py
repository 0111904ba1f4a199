from modelreg.cli.main import main

main()
