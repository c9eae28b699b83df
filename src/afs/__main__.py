from afs.cli.main import main

main()
