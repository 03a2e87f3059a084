from mapserver.cli import main

main()
