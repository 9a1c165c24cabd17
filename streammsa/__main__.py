from streammsa.cli import main

raise SystemExit(main())
