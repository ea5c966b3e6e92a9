"""A GraphQL enum shared by the schemas that the GraphQL execution and variable tests build."""

import enum

import strawberry


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"
