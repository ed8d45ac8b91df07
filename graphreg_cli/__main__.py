from graphreg_cli.cli import main

main()
