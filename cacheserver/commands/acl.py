"""ACL and AUTH (redis ``acl.c``, as 7.0): the commands over ``cacheserver.acl``."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

# the module, not its names: cacheserver.acl imports the command table
from cacheserver import acl as users
from cacheserver.commands.connection import help_reply, parse_int
from cacheserver.commands.table import (
    ACL_CATEGORIES,
    ADMIN,
    ALLOW_BUSY,
    FAST,
    LOADING,
    NO_AUTH,
    NOSCRIPT,
    STALE,
    Command,
)
from cacheserver.errors import SYNTAX, CommandError, unknown_subcommand
from protocol.resp import (
    OK,
    array,
    array_header,
    bulk,
    bulk_array,
    double,
    integer,
    map_reply,
    set_reply,
)

if TYPE_CHECKING:
    from cacheserver.acl import Selector
    from cacheserver.connection import Client

GENPASS_MAX_BITS = 4096


def auth(c: Client, argv: list[bytes]) -> bytes:
    """AUTH [username] password -> +OK | -WRONGPASS"""
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    acl = c.server.acl
    if len(argv) == 2:
        if acl.default.nopass:
            raise CommandError(
                b"ERR AUTH <password> called without any password configured for the default "
                b"user. Are you sure your configuration is correct?"
            )
        user, password = b"default", argv[1]
    else:
        user, password = argv[1], argv[2]
    if not acl.authenticate(c, user, password, argv[0]):
        raise CommandError(users.WRONGPASS)
    return OK


def _syntax(argv: list[bytes]) -> CommandError:
    """Redis's ``addReplySubcommandSyntaxError``."""
    return CommandError(
        b"ERR unknown subcommand or wrong number of arguments for '%s'. Try ACL HELP."
        % argv[1][:128]
    )


def _selector_fields(c: Client, s: Selector) -> list[tuple[bytes, bytes]]:
    acl = c.server.acl
    keys = b"~*" if s.allkeys else b" ".join(p.text() for p in s.patterns)
    channels = b"&*" if s.allchannels else b" ".join(b"&" + p for p in s.channels)
    return [
        (bulk(b"commands"), bulk(acl.describe_commands(s))),
        (bulk(b"keys"), bulk(keys)),
        (bulk(b"channels"), bulk(channels)),
    ]


def acl_setuser(c: Client, argv: list[bytes]) -> bytes:
    """ACL SETUSER username [rule ...] -> +OK"""
    name = argv[2]
    if users.has_spaces(name):
        raise CommandError(b"ERR Usernames can't contain spaces or null characters")
    ops = users.merge_selectors(argv[3:])
    if ops is None:
        raise CommandError(
            b"ERR Unmatched parenthesis in acl selector starting at '%s'."
            % users.unmatched_selector(argv[3:])
        )
    c.server.acl.set_user(name, ops)
    return OK


def acl_deluser(c: Client, argv: list[bytes]) -> bytes:
    """ACL DELUSER username [username ...] -> integer (users deleted)"""
    if b"default" in argv[2:]:
        raise CommandError(b"ERR The 'default' user cannot be removed")
    return integer(c.server.acl.delete_users(argv[2:]))


def acl_getuser(c: Client, argv: list[bytes]) -> bytes:
    """ACL GETUSER username -> map of flags, passwords, commands, keys, channels, selectors | nil"""
    acl = c.server.acl
    u = acl.users.get(argv[2])
    if u is None:
        return c.nil
    flags = [bulk(f.encode()) for f in users.USER_FLAGS if f in u.flags]
    pairs = [
        (bulk(b"flags"), set_reply(flags, c.resp3)),
        (bulk(b"passwords"), bulk_array(u.passwords)),
        *_selector_fields(c, u.root),
        (
            bulk(b"selectors"),
            array([map_reply(_selector_fields(c, s), c.resp3) for s in u.selectors[1:]]),
        ),
    ]
    return map_reply(pairs, c.resp3)


def acl_list(c: Client, argv: list[bytes]) -> bytes:
    """ACL LIST -> array of 'user <name> <rules>' lines"""
    acl = c.server.acl
    return bulk_array([b"user " + u.name + b" " + acl.describe_user(u) for u in acl.sorted_users()])


def acl_users(c: Client, argv: list[bytes]) -> bytes:
    """ACL USERS -> array of user names"""
    return bulk_array([u.name for u in c.server.acl.sorted_users()])


def acl_whoami(c: Client, argv: list[bytes]) -> bytes:
    """ACL WHOAMI -> bulk (the connection's user)"""
    return bulk(c.user.name)


def acl_cat(c: Client, argv: list[bytes]) -> bytes:
    """ACL CAT [category] -> array of categories | array of the category's commands"""
    if len(argv) == 2:
        return bulk_array([cat.encode() for cat in ACL_CATEGORIES])
    if len(argv) > 3:
        raise _syntax(argv)
    cat = argv[2].lower().decode("latin-1")
    if cat not in ACL_CATEGORIES:
        raise CommandError(b"ERR Unknown category '%s'" % argv[2][:128])
    acl = c.server.acl
    names: list[bytes] = []

    def walk(rows: list[Command]) -> None:
        for row in rows:
            if cat in acl.categories[row.fullname]:
                names.append(row.fullname)
            if row.subcommands:
                walk(list(row.subcommands.values()))

    walk(acl.rows)
    return bulk_array(names)


def acl_genpass(c: Client, argv: list[bytes]) -> bytes:
    """ACL GENPASS [bits] -> bulk (hex of random bits, 256 by default)"""
    if len(argv) > 3:
        raise _syntax(argv)
    bits = 256
    if len(argv) == 3:
        bits = parse_int(argv[2])
    if bits <= 0 or bits > GENPASS_MAX_BITS:
        raise CommandError(
            b"ERR ACL GENPASS argument must be the number of bits for the output password, "
            b"a positive number up to %d" % GENPASS_MAX_BITS
        )
    chars = (bits + 3) // 4
    return bulk(os.urandom((chars + 1) // 2).hex()[:chars].encode())


def acl_log(c: Client, argv: list[bytes]) -> bytes:
    """ACL LOG [count | RESET] -> array of entries (newest first) | +OK"""
    if len(argv) > 3:
        raise _syntax(argv)
    acl = c.server.acl
    count = 10
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            acl.log.clear()
            return OK
        count = max(0, parse_int(argv[2]))
    entries = list(acl.log)[:count]
    now = int(time.time() * 1000)
    out = [array_header(len(entries))]
    for e in entries:
        out.append(
            map_reply(
                [
                    (bulk(b"count"), integer(e.count)),
                    (bulk(b"reason"), bulk(users.REASONS[e.reason])),
                    (bulk(b"context"), bulk(e.context)),
                    (bulk(b"object"), bulk(e.object)),
                    (bulk(b"username"), bulk(e.username)),
                    (bulk(b"age-seconds"), double((now - e.ctime) / 1000, c.resp3)),
                    (bulk(b"client-info"), bulk(e.cinfo)),
                ],
                c.resp3,
            )
        )
    return b"".join(out)


def acl_dryrun(c: Client, argv: list[bytes]) -> bytes:
    """ACL DRYRUN username command [arg ...] -> +OK | bulk (why it would be refused)"""
    acl = c.server.acl
    u = acl.users.get(argv[2])
    if u is None:
        raise CommandError(b"ERR User '%s' not found" % argv[2])
    args = argv[3:]
    row = c.server.table.lookup(args[0])
    if row is not None and row.subcommands and len(args) > 1:
        row = row.subcommands.get(args[1].lower())
    if row is None:
        raise CommandError(b"ERR Command '%s' not found" % args[0])
    n = len(args)
    if not row.fits(n):
        raise CommandError(b"ERR wrong number of arguments for '%s' command" % row.fullname)
    res, pos = acl.check(u, row, args)
    if res == users.OK:
        return OK
    if res == users.DENIED_CMD:
        return bulk(b"This user has no permissions to run the '%s' command" % row.fullname)
    what = b"key" if res == users.DENIED_KEY else b"channel"
    return bulk(b"This user has no permissions to access the '%s' %s" % (args[pos], what))


_NO_ACLFILE = (
    b"ERR This Redis instance is not configured to use an ACL file. You may want to specify "
    b"users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
    b"Redis configuration file set) in order to store users in the Redis configuration."
)


def acl_load(c: Client, argv: list[bytes]) -> bytes:
    """ACL LOAD -> +OK (the users of the aclfile replace the current ones, or nothing changes)"""
    path = c.server.config["aclfile"]
    if not path:
        raise CommandError(_NO_ACLFILE)
    errors = c.server.acl.load_file(path)
    if errors is not None:
        raise CommandError(b"ERR " + errors.encode(errors="replace"))
    return OK


def acl_save(c: Client, argv: list[bytes]) -> bytes:
    """ACL SAVE -> +OK (every user written to the aclfile)"""
    path = c.server.config["aclfile"]
    if not path:
        raise CommandError(_NO_ACLFILE)
    if not c.server.acl.save_file(path):
        raise CommandError(
            b"ERR There was an error trying to save the ACLs. Please check the server logs for "
            b"more information"
        )
    return OK


ACL_HELP = [
    b"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"CAT [<category>]",
    b"    List all commands that belong to <category>, or all command categories",
    b"    when no category is specified.",
    b"DELUSER <username> [<username> ...]",
    b"    Delete a list of users.",
    b"DRYRUN <username> <command> [<arg> ...]",
    b"    Returns whether the user can execute the given command without executing the command.",
    b"GETUSER <username>",
    b"    Get the user's details.",
    b"GENPASS [<bits>]",
    b"    Generate a secure 256-bit user password. The optional `bits` argument can",
    b"    be used to specify a different size.",
    b"LIST",
    b"    Show users details in config file format.",
    b"LOAD",
    b"    Reload users from the ACL file.",
    b"LOG [<count> | RESET]",
    b"    Show the ACL log entries.",
    b"SAVE",
    b"    Save the current config to the ACL file.",
    b"SETUSER <username> <attribute> [<attribute> ...]",
    b"    Create or modify a user with the specified attributes.",
    b"USERS",
    b"    List all the registered usernames.",
    b"WHOAMI",
    b"    Return the current connection username.",
    b"HELP",
    b"    Prints this help.",
]


def acl_help(c: Client, argv: list[bytes]) -> bytes:
    """ACL HELP -> array"""
    return help_reply(ACL_HELP)


def acl_container(c: Client, argv: list[bytes]) -> bytes:
    raise CommandError(unknown_subcommand(argv).msg)


def make_commands() -> list[Command]:
    # Flags as Redis 7.0's command table.
    adm = ADMIN | NOSCRIPT | LOADING | STALE
    plain = NOSCRIPT | LOADING | STALE
    return [
        Command(
            b"AUTH",
            auth,
            -2,
            NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
            group="connection",
        ),
        Command(
            b"ACL",
            acl_container,
            -2,
            0,
            group="server",
            since="6.0.0",
            subcommands=(
                Command(b"CAT", acl_cat, -2, plain),
                Command(b"DELUSER", acl_deluser, -3, adm),
                Command(b"DRYRUN", acl_dryrun, -4, adm, since="7.0.0"),
                Command(b"GENPASS", acl_genpass, -2, plain),
                Command(b"GETUSER", acl_getuser, 3, adm),
                Command(b"HELP", acl_help, 2, LOADING | STALE),
                Command(b"LIST", acl_list, 2, adm),
                Command(b"LOAD", acl_load, 2, adm),
                Command(b"LOG", acl_log, -2, adm),
                Command(b"SAVE", acl_save, 2, adm),
                Command(b"SETUSER", acl_setuser, -3, adm),
                Command(b"USERS", acl_users, 2, adm),
                Command(b"WHOAMI", acl_whoami, 2, plain),
            ),
        ),
    ]
