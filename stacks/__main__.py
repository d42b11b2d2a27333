"""Entry point of the Pulumi program (`main: stacks/` in Pulumi.yaml): provisions the layout in
stack config `infraaudit:layout`. See docs/stacks.md."""

from infraaudit.stacks.program import main

main()
