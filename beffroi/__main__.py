from beffroi.manage import main

main()
