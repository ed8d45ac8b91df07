from graphreg_cli.cli import main

if __name__ == "__main__":  # worker processes (--devices) import this module again
    main()
