from callboard.cli import main

main()
