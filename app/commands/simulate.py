"""``affinity simulate``: shoppers of the Online Retail data driving a server over HTTP."""

from app.commands.common import Commands


def register(commands: Commands) -> None:
    commands.add_parser("simulate", help="simulate shoppers against a server")
