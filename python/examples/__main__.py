from examples.run_demo_workers import main

main()
