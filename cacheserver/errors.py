"""Command errors and the error texts Redis sends, verbatim.

A handler raises ``CommandError``; the dispatcher turns it into ``-<msg>\\r\\n``
and counts it in ``errorstats`` by its first word (``ERR``, ``WRONGTYPE``...).
"""

from __future__ import annotations


class CommandError(Exception):
    """An error reply; ``msg`` is the whole text after ``-`` (``ERR ...``)."""

    __slots__ = ("msg",)

    def __init__(self, msg: bytes) -> None:
        super().__init__(msg)
        self.msg = msg


class WrongType(CommandError):
    def __init__(self) -> None:
        super().__init__(WRONGTYPE)


class NotInteger(CommandError):
    def __init__(self) -> None:
        super().__init__(NOT_INTEGER)


class OutOfMemory(CommandError):
    def __init__(self) -> None:
        super().__init__(b"OOM command not allowed when used memory > 'maxmemory'.")


WRONGTYPE = b"WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = b"ERR value is not an integer or out of range"
NOT_FLOAT = b"ERR value is not a valid float"
SYNTAX = b"ERR syntax error"
NO_SUCH_KEY = b"ERR no such key"
OVERFLOW = b"ERR increment or decrement would overflow"
INVALID_EXPIRE = b"ERR invalid expire time in '%s' command"
DB_INDEX = b"ERR DB index is out of range"
# the count check of SRANDMEMBER, HRANDFIELD and ZRANDMEMBER (redis getRangeLongFromObjectOrReply)
RAND_RANGE = (
    b"ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)
STRING_TOO_LONG = b"ERR string exceeds maximum allowed size (proto-max-bulk-len)"


def wrong_arity(name: bytes) -> CommandError:
    return CommandError(b"ERR wrong number of arguments for '%s' command" % name.lower())


def unknown_command(argv: list[bytes]) -> CommandError:
    """``ERR unknown command 'x', with args beginning with: 'a' 'b' `` as redis 7."""
    name = _clip(argv[0], 128)
    args = b""
    for a in argv[1:]:
        if len(args) >= 128:
            break
        args += b"'" + _clip(a, 128 - len(args)) + b"' "
    return CommandError(b"ERR unknown command '%s', with args beginning with: %s" % (name, args))


def unknown_subcommand(argv: list[bytes]) -> CommandError:
    return CommandError(
        b"ERR unknown subcommand '%s'. Try %s HELP." % (_clip(argv[1], 128), argv[0].upper())
    )


def _clip(b: bytes, n: int) -> bytes:
    # as C's "%.*s": stop at a NUL byte or after n bytes; CR/LF become spaces
    b = b[:n].split(b"\0", 1)[0]
    return b.replace(b"\r", b" ").replace(b"\n", b" ")
