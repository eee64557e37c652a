"""Connection commands: PING ECHO QUIT RESET HELLO SELECT CLIENT."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheserver import REDIS_VERSION, monitor
from cacheserver.commands.table import (
    ADMIN,
    ALLOW_BUSY,
    FAST,
    LOADING,
    NO_AUTH,
    NOSCRIPT,
    QUIET_OFF,
    QUIET_SKIP_NEXT,
    STALE,
    Command,
    ReplySwitch,
)
from cacheserver.errors import NOT_INTEGER, SYNTAX, CommandError, unknown_subcommand
from protocol.resp import (
    EMPTY_ARRAY,
    EMPTY_BULK,
    OK,
    PONG,
    bulk,
    bulk_array,
    integer,
    map_reply,
    set_reply,
    simple,
    verbatim,
)

if TYPE_CHECKING:
    from cacheserver.connection import Client


def parse_int(arg: bytes) -> int:
    """A signed 64-bit integer argument, strictly (redis ``string2ll``)."""
    from protocol.resp import string2ll

    n = string2ll(arg)
    if n is None:
        raise CommandError(NOT_INTEGER)
    return n


def ping(c: Client, argv: list[bytes]) -> bytes:
    """PING [message] -> +PONG | bulk (in RESP2 subscriber mode: [pong, message])"""
    if len(argv) > 2:
        raise CommandError(b"ERR wrong number of arguments for 'ping' command")
    if c.subs is not None and not c.resp3:
        return b"*2\r\n$4\r\npong\r\n" + (EMPTY_BULK if len(argv) == 1 else bulk(argv[1]))
    return PONG if len(argv) == 1 else bulk(argv[1])


def echo(c: Client, argv: list[bytes]) -> bytes:
    """ECHO message -> bulk"""
    return bulk(argv[1])


def quit_(c: Client, argv: list[bytes]) -> bytes:
    """QUIT -> +OK, then the connection closes"""
    c.close_after_reply = True
    return OK


def reset(c: Client, argv: list[bytes]) -> bytes | ReplySwitch:
    """RESET -> +RESET (no MULTI, no WATCH, no subscriptions, database 0, RESP2, no
    name, CLIENT REPLY ON unless this is the command CLIENT REPLY SKIP skips)"""
    if c.tx is not None:
        c.tx.discard()
    c.server.pubsub.drop(c)
    monitor.stop(c)
    c.db = c.server.keyspace.dbs[0]
    c.set_protocol(False)
    c.name = b""
    c.server.tracking.disable(c)
    c.server.acl.new_client(c)  # back to the default user (redis clientSetDefaultAuth)
    if c.quiet & QUIET_OFF:  # (a SKIP in force still takes this reply)
        c.quiet &= ~QUIET_OFF
        return ReplySwitch(b"+RESET\r\n")
    return b"+RESET\r\n"


def select(c: Client, argv: list[bytes]) -> bytes:
    """SELECT index -> +OK"""
    c.db = c.server.db_by_index(argv[1])
    return OK


def _valid_name(name: bytes) -> bool:
    # redis validateClientName: printable ASCII, no spaces
    return all(0x21 <= ch <= 0x7E for ch in name)


def hello(c: Client, argv: list[bytes]) -> bytes:
    """HELLO [protover [AUTH username password] [SETNAME clientname]] -> map"""
    resp3 = c.resp3
    name: bytes | None = None
    credentials: tuple[bytes, bytes] | None = None
    if len(argv) >= 2:
        try:
            ver = parse_int(argv[1])
        except CommandError:
            raise CommandError(b"ERR Protocol version is not an integer or out of range") from None
        if ver not in (2, 3):
            raise CommandError(b"NOPROTO unsupported protocol version")
        resp3 = ver == 3
        i = 2
        while i < len(argv):
            opt = argv[i].lower()
            more = len(argv) - i - 1
            if opt == b"auth" and more >= 2:
                credentials = (argv[i + 1], argv[i + 2])
                i += 3
            elif opt == b"setname" and more >= 1:
                name = argv[i + 1]
                i += 2
            else:
                raise CommandError(b"ERR Syntax error in HELLO option '%s'" % argv[i])
    # as redis 7.0: authenticate, then name the client, then insist on being authenticated
    if credentials is not None:
        c.server.authenticate(c, *credentials, argv[0])
    if name is not None:
        if not _valid_name(name):
            raise CommandError(
                b"ERR Client names cannot contain spaces, newlines or special characters."
            )
        c.name = name
        name = None
    if not c.authenticated:
        raise CommandError(
            b"NOAUTH HELLO must be called with the client already authenticated, otherwise the "
            b"HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
            b"the RESP protocol version at the same time"
        )
    c.set_protocol(resp3)
    if name is not None:
        c.name = name
    pairs = [
        (bulk(b"server"), bulk(b"redis")),
        (bulk(b"version"), bulk(REDIS_VERSION.encode())),
        (bulk(b"proto"), integer(3 if resp3 else 2)),
        (bulk(b"id"), integer(c.id)),
        (bulk(b"mode"), bulk(b"standalone")),
        (bulk(b"role"), bulk(b"master")),
        (bulk(b"modules"), EMPTY_ARRAY),
    ]
    return map_reply(pairs, resp3)


# -- CLIENT ----------------------------------------------------------------


def client_id(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT ID -> integer"""
    return integer(c.id)


def client_setname(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT SETNAME connection-name -> +OK"""
    if not _valid_name(argv[2]):
        raise CommandError(
            b"ERR Client names cannot contain spaces, newlines or special characters."
        )
    c.name = argv[2]
    return OK


def client_getname(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT GETNAME -> bulk | nil"""
    return bulk(c.name) if c.name else c.nil


def client_setinfo(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT SETINFO <LIB-NAME libname | LIB-VER libver> -> +OK"""
    attr = argv[2].lower()
    if attr not in (b"lib-name", b"lib-ver"):
        raise CommandError(b"ERR Unrecognized option '%s'" % argv[2])
    if not _valid_name(argv[3]) and argv[3]:
        raise CommandError(b"ERR %s cannot contain spaces, newlines or special characters." % attr)
    if attr == b"lib-name":
        c.lib_name = argv[3]
    else:
        c.lib_ver = argv[3]
    return OK


def client_info(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT INFO -> verbatim string"""
    return verbatim(c.info_line().encode() + b"\n", c.resp3)


def client_list(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT LIST [TYPE normal|master|replica|pubsub] [ID client-id ...] -> verbatim"""
    clients = list(c.server.clients.values())
    i = 2
    while i < len(argv):
        opt = argv[i].lower()
        if opt == b"type" and i + 1 < len(argv):
            kind = argv[i + 1].lower()
            if kind not in (b"normal", b"master", b"replica", b"slave", b"pubsub"):
                raise CommandError(b"ERR Unknown client type '%s'" % argv[i + 1])
            want = b"replica" if kind == b"slave" else kind
            clients = [x for x in clients if x.client_type() == want]
            i += 2
        elif opt == b"id" and i + 1 < len(argv):
            ids = set()
            for a in argv[i + 1 :]:
                try:
                    n = parse_int(a)
                except CommandError:
                    raise CommandError(b"ERR Invalid client ID") from None
                if n <= 0:
                    raise CommandError(b"ERR Invalid client ID")
                ids.add(n)
            clients = [x for x in clients if x.id in ids]
            break
        else:
            raise CommandError(SYNTAX)
    text = "".join(x.info_line() + "\n" for x in clients)
    return verbatim(text.encode(), c.resp3)


def client_kill(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT KILL ip:port | CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port] [USER name]
    [TYPE normal|...] [SKIPME yes|no] -> +OK | integer"""
    srv = c.server
    if len(argv) == 3:  # old form
        target = argv[2].decode(errors="replace")
        for x in list(srv.clients.values()):
            if x.addr == target:
                _kill(c, x)
                return OK
        raise CommandError(b"ERR No such client")
    if len(argv) % 2:
        raise CommandError(SYNTAX)
    cid: int | None = None
    addr: str | None = None
    laddr: str | None = None
    user: bytes | None = None
    kind: bytes | None = None
    skipme = True
    for i in range(2, len(argv), 2):
        opt, val = argv[i].lower(), argv[i + 1]
        if opt == b"id":
            try:
                cid = parse_int(val)
            except CommandError:
                raise CommandError(b"ERR client-id should be greater than 0") from None
            if cid <= 0:
                raise CommandError(b"ERR client-id should be greater than 0")
        elif opt == b"addr":
            addr = val.decode(errors="replace")
        elif opt == b"laddr":
            laddr = val.decode(errors="replace")
        elif opt == b"user":
            user = val
        elif opt == b"type":
            kind = val.lower()
            if kind not in (b"normal", b"master", b"replica", b"slave", b"pubsub"):
                raise CommandError(b"ERR Unknown client type '%s'" % val)
        elif opt == b"skipme":
            v = val.lower()
            if v not in (b"yes", b"no"):
                raise CommandError(SYNTAX)
            skipme = v == b"yes"
        else:
            raise CommandError(SYNTAX)
    killed = 0
    for x in list(srv.clients.values()):
        if cid is not None and x.id != cid:
            continue
        if addr is not None and x.addr != addr:
            continue
        if laddr is not None and x.laddr != laddr:
            continue
        if user is not None and x.user.name != user:
            continue
        if kind is not None and x.client_type() != (b"replica" if kind == b"slave" else kind):
            continue
        if x is c and skipme:
            continue
        _kill(c, x)
        killed += 1
    return integer(killed)


def _kill(c: Client, victim: Client) -> None:
    if victim is c:
        c.close_after_reply = True  # reply first, then close, as redis CLIENT_CLOSE_AFTER_REPLY
    else:
        victim.close()


def client_unblock(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT UNBLOCK client-id [TIMEOUT|ERROR] -> integer (1 if it was blocked)"""
    cid = parse_int(argv[2])
    error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason not in (b"timeout", b"error"):
            raise CommandError(b"ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
        error = reason == b"error"
    blocking = c.server.blocking
    waiter = blocking.by_client.get(cid)
    if waiter is None:
        return integer(0)
    reply = b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" if error else waiter.timeout_reply
    if error:
        c.server.stats.count_error(b"UNBLOCKED")
    blocking.unblock(waiter.client, reply)
    return integer(1)


def client_tracking(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP] -> +OK"""
    srv = c.server
    redirect = 0
    bcast = optin = optout = noloop = False
    prefixes: list[bytes] = []
    n = len(argv)
    j = 3
    while j < n:  # as redis: options are checked before ON/OFF
        opt = argv[j].lower()
        more = j + 1 < n
        if opt == b"redirect" and more:
            j += 1
            if redirect:
                raise CommandError(b"ERR A client can only redirect to a single other client")
            redirect = parse_int(argv[j])
            if redirect not in srv.clients:
                raise CommandError(b"ERR The client ID you want redirect to does not exist")
        elif opt == b"bcast":
            bcast = True
        elif opt == b"optin":
            optin = True
        elif opt == b"optout":
            optout = True
        elif opt == b"noloop":
            noloop = True
        elif opt == b"prefix" and more:
            j += 1
            prefixes.append(argv[j])
        else:
            raise CommandError(SYNTAX)
        j += 1
    mode = argv[2].lower()
    if mode == b"off":
        srv.tracking.disable(c)
        return OK
    if mode != b"on":
        raise CommandError(SYNTAX)
    st = c.track
    if prefixes and not bcast:
        raise CommandError(b"ERR PREFIX option requires BCAST mode to be enabled")
    if st is not None and st.bcast != bcast:
        raise CommandError(
            b"ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
            b"and then re-enabling it with a different mode."
        )
    if bcast and (optin or optout):
        raise CommandError(b"ERR OPTIN and OPTOUT are not compatible with BCAST")
    if optin and optout:
        raise CommandError(b"ERR You can't specify both OPTIN mode and OPTOUT mode")
    if st is not None and ((optin and st.optout) or (optout and st.optin)):
        raise CommandError(
            b"ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
            b"and then re-enabling it with a different mode."
        )
    if bcast:
        _check_prefixes(c, prefixes)
    srv.tracking.enable(c, redirect, bcast, optin, optout, noloop, prefixes)
    return OK


def _check_prefixes(c: Client, prefixes: list[bytes]) -> None:
    """No two BCAST prefixes of a client may cover the same key (redis
    ``checkPrefixCollisionsOrReply``)."""
    held = c.track.prefixes if c.track is not None else []
    for i, p in enumerate(prefixes):
        for q in sorted(held):
            if p.startswith(q) or q.startswith(p):
                raise CommandError(
                    b"ERR Prefix '%s' overlaps with an existing prefix '%s'. "
                    b"Prefixes for a single client must not overlap." % (p, q)
                )
        for q in prefixes[i + 1 :]:
            if p.startswith(q) or q.startswith(p):
                raise CommandError(
                    b"ERR Prefix '%s' overlaps with another provided prefix '%s'. "
                    b"Prefixes for a single client must not overlap." % (p, q)
                )


def client_caching(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT CACHING YES|NO -> +OK (OPTIN / OPTOUT tracking: for the next command)"""
    st = c.track
    if st is None:
        raise CommandError(
            b"ERR CLIENT CACHING can be called only when the client is in tracking mode "
            b"with OPTIN or OPTOUT mode enabled"
        )
    opt = argv[2].lower()
    if opt == b"yes":
        if not st.optin:
            raise CommandError(
                b"ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
            )
    elif opt == b"no":
        if not st.optout:
            raise CommandError(
                b"ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
            )
    else:
        raise CommandError(SYNTAX)
    st.caching = True
    return OK


def client_getredir(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT GETREDIR -> integer (-1: tracking off, 0: no redirection)"""
    return integer(-1 if c.track is None else c.track.redirect)


def client_trackinginfo(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT TRACKINGINFO -> map of flags, redirect, prefixes"""
    st = c.track
    flags = c.server.tracking.info_flags(c)
    flags_reply = set_reply([bulk(f) for f in flags], c.resp3)
    prefixes = sorted(st.prefixes) if st is not None else []
    return map_reply(
        [
            (bulk(b"flags"), flags_reply),
            (bulk(b"redirect"), integer(-1 if st is None else st.redirect)),
            (bulk(b"prefixes"), bulk_array(prefixes)),
        ],
        c.resp3,
    )


def _sub_syntax(argv: list[bytes]) -> CommandError:
    # redis addReplySubcommandSyntaxError
    sub = argv[1][:128].split(b"\0", 1)[0].replace(b"\r", b" ").replace(b"\n", b" ")
    return CommandError(
        b"ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
        % (sub, argv[0].upper())
    )


def client_pause(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT PAUSE timeout [WRITE|ALL] -> +OK

    Complexity: O(1)
    """
    from cacheserver.pause import ALL, WRITE_ONLY
    from protocol.resp import string2ll

    if len(argv) > 4:
        raise _sub_syntax(argv)
    kind = ALL
    if len(argv) == 4:  # the mode is checked before the timeout, as Redis does
        mode = argv[3].lower()
        if mode == b"write":
            kind = WRITE_ONLY
        elif mode != b"all":
            raise CommandError(b"ERR CLIENT PAUSE mode must be WRITE or ALL")
    ms = string2ll(argv[2])
    if ms is None:
        raise CommandError(b"ERR timeout is not an integer or out of range")
    if ms < 0:
        raise CommandError(b"ERR timeout is negative")
    c.server.pause.pause(c, ms, kind)
    return OK


def client_unpause(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT UNPAUSE -> +OK

    Complexity: O(N) Where N is the number of paused clients
    """
    c.server.pause.unpause()
    return OK


def client_reply(c: Client, argv: list[bytes]) -> ReplySwitch:
    """CLIENT REPLY ON|OFF|SKIP -> +OK for ON; OFF and SKIP answer nothing

    Complexity: O(1)
    """
    opt = argv[2].lower()
    if opt == b"on":
        c.quiet = 0
        return ReplySwitch(OK)
    if opt == b"off":
        c.quiet |= QUIET_OFF
    elif opt == b"skip":
        if not c.quiet & QUIET_OFF:
            c.quiet |= QUIET_SKIP_NEXT
    else:
        raise CommandError(SYNTAX)
    return ReplySwitch(b"")


def client_no_evict(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT NO-EVICT ON|OFF -> +OK"""
    if argv[2].lower() not in (b"on", b"off"):
        raise CommandError(SYNTAX)
    return OK


# Redis 7.0.15's text, and SETINFO's from Redis 7.2
CLIENT_HELP = [
    b"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"CACHING (YES|NO)",
    b"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    b"GETREDIR",
    b"    Return the client ID we are redirecting to when tracking is enabled.",
    b"GETNAME",
    b"    Return the name of the current connection.",
    b"ID",
    b"    Return the ID of the current connection.",
    b"INFO",
    b"    Return information about the current client connection.",
    b"KILL <ip:port>",
    b"    Kill connection made from <ip:port>.",
    b"KILL <option> <value> [<option> <value> [...]]",
    b"    Kill connections. Options are:",
    b"    * ADDR (<ip:port>|<unixsocket>:0)",
    b"      Kill connections made from the specified address",
    b"    * LADDR (<ip:port>|<unixsocket>:0)",
    b"      Kill connections made to specified local address",
    b"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    b"      Kill connections by type.",
    b"    * USER <username>",
    b"      Kill connections authenticated by <username>.",
    b"    * SKIPME (YES|NO)",
    b"      Skip killing current connection (default: yes).",
    b"LIST [options ...]",
    b"    Return information about client connections. Options:",
    b"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    b"      Return clients of specified type.",
    b"UNPAUSE",
    b"    Stop the current client pause, resuming traffic.",
    b"PAUSE <timeout> [WRITE|ALL]",
    b"    Suspend all, or just write, clients for <timeout> milliseconds.",
    b"REPLY (ON|OFF|SKIP)",
    b"    Control the replies sent to the current connection.",
    b"SETNAME <name>",
    b"    Assign the name <name> to the current connection.",
    b"SETINFO <option> <value>",
    b"    Set client meta attr. Options are:",
    b"    * LIB-NAME: the client lib name.",
    b"    * LIB-VER: the client lib version.",
    b"UNBLOCK <clientid> [TIMEOUT|ERROR]",
    b"    Unblock the specified blocked client.",
    b"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    b"         [OPTIN] [OPTOUT] [NOLOOP]",
    b"    Control server assisted client side caching.",
    b"TRACKINGINFO",
    b"    Report tracking status for the current connection.",
    b"NO-EVICT (ON|OFF)",
    b"    Protect current client connection from eviction.",
    b"HELP",
    b"    Prints this help.",
]


def help_reply(lines: list[bytes]) -> bytes:
    """A HELP reply: an array of status lines, as redis addReplyHelp."""
    return b"*%d\r\n" % len(lines) + b"".join(simple(line) for line in lines)


def client_help(c: Client, argv: list[bytes]) -> bytes:
    """CLIENT HELP -> array"""
    return help_reply(CLIENT_HELP)


def client_container(c: Client, argv: list[bytes]) -> bytes:
    raise CommandError(unknown_subcommand(argv).msg)


_CONN = "connection"


def make_commands() -> list[Command]:
    # Flags as Redis 7.0's command table.
    cs = NOSCRIPT | LOADING | STALE
    always = NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY
    return [
        Command(b"PING", ping, -1, FAST, group=_CONN),
        Command(b"ECHO", echo, 2, LOADING | STALE | FAST, group=_CONN),
        Command(b"QUIT", quit_, -1, always, group=_CONN),
        Command(b"RESET", reset, 1, always, group=_CONN, since="6.2.0"),
        Command(b"HELLO", hello, -1, always, group=_CONN, since="6.0.0"),
        Command(b"SELECT", select, 2, LOADING | STALE | FAST, group=_CONN),
        Command(
            b"CLIENT",
            client_container,
            -2,
            0,
            group=_CONN,
            since="2.4.0",
            subcommands=(
                Command(b"ID", client_id, 2, cs),
                Command(b"SETNAME", client_setname, 3, cs),
                Command(b"GETNAME", client_getname, 2, cs),
                Command(b"SETINFO", client_setinfo, 4, cs, since="7.2.0"),
                Command(b"INFO", client_info, 2, cs),
                Command(b"LIST", client_list, -2, ADMIN | NOSCRIPT | LOADING | STALE),
                Command(b"KILL", client_kill, -3, ADMIN | NOSCRIPT | LOADING | STALE),
                Command(b"NO-EVICT", client_no_evict, 3, ADMIN | NOSCRIPT | LOADING | STALE),
                Command(
                    b"PAUSE", client_pause, -3, ADMIN | NOSCRIPT | LOADING | STALE, since="2.9.50"
                ),
                Command(
                    b"UNPAUSE", client_unpause, 2, ADMIN | NOSCRIPT | LOADING | STALE, since="6.2.0"
                ),
                Command(b"REPLY", client_reply, 3, cs, since="3.2.0"),
                Command(
                    b"UNBLOCK",
                    client_unblock,
                    -3,
                    ADMIN | NOSCRIPT | LOADING | STALE,
                    since="5.0.0",
                ),
                Command(b"TRACKING", client_tracking, -3, cs, since="6.0.0"),
                Command(b"CACHING", client_caching, 3, cs, since="6.0.0"),
                Command(b"GETREDIR", client_getredir, 2, cs, since="6.0.0"),
                Command(b"TRACKINGINFO", client_trackinginfo, 2, cs, since="6.2.0"),
                Command(b"HELP", client_help, 2, LOADING | STALE),
            ),
        ),
    ]
