"""Games: callables mapping boolean coalitions (m, n_players) to values (m,) or (m, d).

This is shapiq's game protocol: column i of a coalition matrix is player i, True means present.
Any callable with that signature is a game; the classes here add known answers for testing and
benchmarking (tables of 2^n values, sums of unanimity games with known Moebius coefficients,
additive and symmetric games).
"""

from .base import check_coalitions, check_game_output, evaluate_all
from .synthetic import AdditiveGame, SumOfUnanimityGames, SymmetricGame, UnanimityGame
from .table import TableGame

__all__ = [
    "AdditiveGame",
    "SumOfUnanimityGames",
    "SymmetricGame",
    "TableGame",
    "UnanimityGame",
    "check_coalitions",
    "check_game_output",
    "evaluate_all",
]
