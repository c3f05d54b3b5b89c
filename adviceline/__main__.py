from adviceline.cli import main

raise SystemExit(main())
