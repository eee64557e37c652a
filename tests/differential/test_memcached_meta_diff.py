"""Differential tests of the meta commands (mg ms md ma me mn) against the real
memcached 1.6.18: reply bytes and flags identical, CAS uniques masked."""

from __future__ import annotations

import re

from conftest import McPair

K251 = b"k" * 251


def cas_of(reply: bytes) -> int:
    m = re.search(rb" c(\d+)", reply)
    assert m, reply
    return int(m.group(1))


def test_mg_flags(mc: McPair) -> None:
    mc.check_each(
        b"ms foo 2 T0 F5\r\nhi\r\n",
        b"mg foo v f t s k O123\r\n",
        b"mg foo\r\n",
        b"mg foo v\r\n",
        b"mg foo s v\r\n",
        b"mg foo k v k\r\n",  # a repeated flag
        b"mg foo O1 O2\r\n",
        b"mg miss v\r\n",
        b"mg miss k O9 v\r\n",
        b"mg miss k O9 v q\r\n",
        b"mg foo q v\r\n",  # a hit still answers under q
        b"mg foo P/path Lroute v\r\n",  # P and L are ignored
        b"mg foo O" + b"1" * 31 + b"\r\n",
        b"mg foo O" + b"1" * 32 + b"\r\n",
        b"mg miss O" + b"1" * 32 + b"\r\n",
        # (a TTL is read in the batch that set it: both clocks tick each second)
        b"mg foo t T100 t\r\nmg foo t\r\n",  # T applies in flag order
        b"mg foo T0 t\r\n",
        b"ms ttl 1 T60\r\nx\r\nmg ttl t v\r\n",
        b"ms fl 1 F4294967295\r\nx\r\n",
        b"mg fl f\r\n",
        b"ms fl 1 F4294967296\r\nx\r\n",
        b"mg fl f\r\n",
        b"ms fl 1 F-1\r\nx\r\n",
    )
    mc.check(b"mg foo c v c\r\nmg foo s c t f k v\r\n", cas=True)


def test_mg_hit_and_last_access(mc: McPair) -> None:
    mc.check(
        b"ms u1 2\r\nhi\r\n"
        b"mg u1 h l u\r\n"  # u: no bump, so not fetched
        b"mg u1 h l\r\n"
        b"mg u1 h\r\n"
        b"get u1\r\n"
        b"mg u1 h\r\n"
    )


def test_mg_errors(mc: McPair) -> None:
    mc.check_each(
        b"mg\r\n",
        b"mg " + K251 + b" v\r\n",
        b"mg " + K251 + b" v q\r\n",  # errors are never quiet
        b"mg foo v v\r\n",
        b"mg foo zz\r\n",
        b"mg foo !\r\n",
        b"mg foo \xff\r\n",
        b"mg foo a b c d e f g h i j k l m n o p q\r\n",
        b"mg foo a b c d e f g h i j k l m n o p q r s\r\n",
        b"mg foo Nx\r\n",
        b"mg foo T\r\n",
        b"mg foo R1x\r\n",
        b"mg foo b\r\n",
        b"mx foo\r\n",
        b"mg viv v k c f t s h l u O1 q N10 R1 T100 P L\r\nmg viv t\r\n",  # t before N, T
        b"m\r\n",
        b"mn x y\r\n",
        cas=True,
    )


def test_ms_modes(mc: McPair) -> None:
    mc.check_each(
        b"ms foo 2 ME\r\nhi\r\n",
        b"ms foo 2 ME\r\nhi\r\n",
        b"ms foo 2 MA\r\n++\r\n",
        b"mg foo v\r\n",
        b"ms foo 2 MP\r\n--\r\n",
        b"mg foo v\r\n",
        b"ms foo 2 MS F3\r\nok\r\n",
        b"mg foo v f\r\n",
        b"ms nope 2 MR\r\nhi\r\n",
        b"ms nope 2 MA\r\nhi\r\n",
        b"ms nope 2 MP\r\nhi\r\n",
        b"ms foo 2 MR T50\r\nre\r\nmg foo v t\r\n",
        b"ms foo 2 MZ\r\nhi\r\n",
        b"ms foo 2 Mxx\r\nhi\r\n",
        b"ms foo 2 q\r\nhi\r\n",
        b"ms foo 2 ME q\r\nhi\r\n",  # NS is not hidden
        b"ms foo 2 C1 q\r\nhi\r\n",
        b"ms foo 2 k O5\r\nhi\r\n",
        b"ms nope 2 MR k O5 c\r\nhi\r\n",
        b"ms foo 2 C999 c\r\nhi\r\n",
        b"ms foo 0\r\n\r\n",
        b"mg foo v s\r\n",
        b"ms foo 2 T-1\r\nhi\r\n",
        b"mg foo v\r\n",
    )


def test_ms_errors(mc: McPair) -> None:
    mc.check_each(
        b"ms\r\n",
        b"ms foo\r\nhi\r\n",
        b"ms foo abc\r\nhi\r\n",
        b"ms foo -1\r\nhi\r\n",
        b"ms foo S2 T0\r\nhi\r\n",
        b"ms foo 2147483647\r\nhi\r\n",
        b"ms " + K251 + b" 2\r\nhi\r\n",
        b"ms foo 2 v v\r\nhi\r\n",  # the data is swallowed after a flag error
        b"ms foo 2 zz\r\nhi\r\n",
        b"ms foo 2 Tx\r\nhi\r\n",
        b"ms foo 2 Fx\r\nhi\r\n",
        b"ms foo 2 Cx\r\nhi\r\n",
        b"ms foo 2 O" + b"1" * 32 + b"\r\nhi\r\n",
        b"ms foo 2 a b c d e f g h i j k l m n o p q\r\nhi\r\n",
        b"ms foo 2 b\r\nhi\r\n",
        b"ms foo 2000000\r\n" + b"x" * 2000000 + b"\r\n",
        b"ms foo 2000000 q\r\n" + b"x" * 2000000 + b"\r\n",
        b"ms foo 1\r\nxyz\r\n",
    )


def test_ms_cas(mc: McPair) -> None:
    for c in (mc.ours, mc.real):
        reply = c.call(b"ms k 2 c\r\nv1\r\n")
        m = re.match(rb"HD c(\d+)\r\n$", reply)
        assert m, reply
        unique = int(m.group(1))
        assert c.call(b"mg k c\r\n") == b"HD c%d\r\n" % unique
        assert c.call(b"ms k 2 C%d\r\nv2\r\n" % (unique + 100)) == b"EX\r\n"
        reply = c.call(b"ms k 2 C%d c\r\nv2\r\n" % unique)
        second = cas_of(reply)
        assert reply == b"HD c%d\r\n" % second and second != unique
        assert c.call(b"ms k 2 MA C%d\r\n!!\r\n" % unique) == b"EX\r\n"
        assert c.call(b"ms k 2 MA C%d\r\n!!\r\n" % second) == b"HD\r\n"
        assert c.call(b"mg k v\r\n") == b"VA 4\r\nv2!!\r\n"
        assert c.call(b"ms nokey 2 C5\r\nxx\r\n") == b"NF\r\n"
        assert c.call(b"ms nokey 2 ME C5\r\nxx\r\n") == b"HD\r\n"


def test_md(mc: McPair) -> None:
    mc.check_each(
        b"ms foo 2\r\nhi\r\n",
        b"md foo q\r\n",
        b"md foo q\r\n",  # NF is not hidden
        b"md foo\r\n",
        b"ms foo 2\r\nhi\r\n",
        b"md foo k O7\r\n",
        b"md foo k O7\r\n",
        b"md\r\n",
        b"md " + K251 + b"\r\n",
        b"md foo v v\r\n",
        b"md foo zz\r\n",
        b"md foo T\r\n",
        b"md foo O" + b"1" * 32 + b"\r\n",
        b"md foo a b c d e f g h i j k l m n o p q\r\n",
        b"ms foo 2\r\nhi\r\n",
        b"md foo C1\r\n",
        b"mg foo v\r\n",
    )
    for c in (mc.ours, mc.real):
        unique = cas_of(c.call(b"mg foo c\r\n"))
        assert c.call(b"md foo C%d q\r\n" % unique) == b""
        assert c.call(b"mg foo\r\n") == b"EN\r\n"


def test_ma(mc: McPair) -> None:
    mc.check_each(
        b"ma cnt\r\n",
        b"ma cnt q\r\n",  # NF is not hidden
        b"ma cnt N0 J10\r\n",
        b"ma cnt v\r\n",
        b"ma cnt MD D5 v t\r\n",
        b"ma cnt M- D100 v\r\n",
        b"ma cnt M+ D7 v\r\n",
        b"ma cnt MI v\r\n",
        b"ma cnt q\r\n",
        b"mg cnt v\r\n",
        b"ma cnt MX\r\n",
        b"ma cnt Mxx\r\n",
        b"ma cnt Dabc\r\n",
        b"ma cnt J-1\r\n",
        b"ma cnt D18446744073709551616\r\n",
        b"ma cnt k O3 v\r\n",
        b"ma miss k O3 v\r\n",
        b"ma miss N0 J5 q\r\n",  # created: HD even under q
        b"ma miss N0 J5 v\r\n",
        b"ma ttl N100 J1 v t\r\nma ttl T200 t v\r\nma ttl t\r\n",
        b"ms str 2\r\nhi\r\n",
        b"ma str\r\n",
        b"ma\r\n",
        b"ma " + K251 + b"\r\n",
        b"ma cnt O" + b"1" * 32 + b"\r\n",
        b"ms big 20\r\n18446744073709551615\r\n",
        b"ma big v\r\n",
        b"mg big v\r\n",
    )
    mc.check(b"ma cnt c v\r\nma cnt c t v\r\n", cas=True)
    for c in (mc.ours, mc.real):
        unique = cas_of(c.call(b"mg cnt c\r\n"))
        assert c.call(b"ma cnt C%d\r\n" % (unique + 5)) == b"EX\r\n"
        assert c.call(b"ma cnt C%d v\r\n" % unique).startswith(b"VA ")


def test_me(mc: McPair) -> None:
    mc.check_each(
        b"me\r\n",
        b"me nope\r\n",
        b"me " + K251 + b"\r\n",
        b"me k b\r\n",  # not base64
    )
    mc.check_each(
        b"ms foo 2\r\nhi\r\nme foo\r\n",
        b"ms s 2 T100 F1\r\nhi\r\nme s\r\n",
        b"set big 0 0 1000\r\n" + b"x" * 1000 + b"\r\nme big\r\n",
        b"get foo\r\nme foo\r\n",
        b"ms Zm9vYg== 1 b\r\nx\r\nme Zm9vYg== b\r\n",
        cas=True,
    )


def test_base64_keys(mc: McPair) -> None:
    for key in (
        b"Zm9vYg",
        b"Zm9vYg==",
        b"Zm9vYg=",
        b"Zm9vY",
        b"Zm=9v",
        b"Zm9v====",
        b"Zm9vYmFy",
        b"Zm9v+/==",
        b"Zm9v-_==",
        b"AA==",
        b"A===",
        b"====",
        b"QQ",
        b"Zg==Zg==",
    ):
        mc.check(b"ms " + key + b" 1 b k\r\nx\r\nmg " + key + b" b k v\r\n")
    mc.check_each(
        b"ms Zm9v 2 b k O1\r\nhi\r\n",
        b"mg foo k v\r\n",  # the item keeps its base64 form
        b"mg Zm9v b k v\r\n",
        b"md Zm9v b k q\r\n",
        b"mg foo v\r\n",
        b"ma Zm9v b N0 k v\r\n",
        b"md Zm9v b k\r\n",
        b"md Zm9v b k\r\n",
    )


def test_quiet_pipeline(mc: McPair) -> None:
    mc.check(
        b"ms a 1 q\r\n1\r\nms b 1 q\r\n2\r\nmg a v q k\r\nmg x v q k\r\nmg b v q k\r\n"
        b"md x q\r\nmd a q\r\nma n q\r\nmg a v q\r\n"
    )


def test_stale_while_revalidate(mc: McPair) -> None:
    """md I marks the item stale: the first reader wins the refill (W), the
    others see Z; a set with the old CAS and I keeps it stale."""
    mc.check_each(
        b"ms x2 2 T100\r\nhi\r\nmd x2 I T30\r\nmg x2 v t\r\nmg x2 v t\r\n",
        b"mg x2 v\r\n",
        b"ms x2 2\r\nzz\r\n",
        b"mg x2 v\r\n",
        b"md x2 I q\r\n",
        b"mg x2 v\r\n",
        b"md x2 I\r\n",  # stale again: the win can be handed out again
        b"mg x2 v\r\n",
        b"md nope I\r\n",
        b"ms x3 2 T100\r\nhi\r\nmd x3 I\r\nmg x3 t\r\n",  # without T the TTL stays
    )
    for c in (mc.ours, mc.real):
        assert c.call(b"ms y 2\r\nv1\r\n") == b"HD\r\n"
        old = cas_of(c.call(b"mg y c\r\n"))
        assert c.call(b"md y I\r\n") == b"HD\r\n"
        new = cas_of(c.call(b"mg y c\r\n"))
        assert new > old
        # a stale-allowed set with the older CAS stores, still stale
        assert c.call(b"ms y 2 I C%d\r\nv2\r\n" % old) == b"HD\r\n"
        # (the win went to the mg c above)
        assert c.call(b"mg y v\r\n") == b"VA 2 Z X\r\nv2\r\n"
        assert c.call(b"ms y 2 I C%d\r\nv3\r\n" % (new + 1000)) == b"EX\r\n"
        current = cas_of(c.call(b"mg y c\r\n"))
        assert c.call(b"ms y 2 I C%d\r\nv4\r\n" % current) == b"HD\r\n"
        assert c.call(b"mg y v\r\n") == b"VA 2\r\nv4\r\n"


def test_vivify_and_recache(mc: McPair) -> None:
    mc.check_each(
        b"mg nv N30 v t\r\nmg nv N30 v t\r\n",  # the first client wins the miss
        b"mg nv N30 s\r\n",
        b"ms nv 2\r\nok\r\n",
        b"mg nv N30 v\r\n",
        b"ms r1 2 T10\r\nhi\r\n",
        b"mg r1 R30 v\r\n",  # less than 30 s left: win
        b"mg r1 R30 v\r\n",
        b"mg r1 R5 v\r\n",
        b"ms r2 2\r\nhi\r\n",
        b"mg r2 R30 v\r\n",  # no TTL: no win
        b"mg nv2 N0 q v\r\n",
        b"mg nv2 N0 q v\r\n",
    )


def test_mixed_with_classic(mc: McPair) -> None:
    mc.check_each(
        b"set a 5 0 2\r\nab\r\n",
        b"mg a v f s\r\n",
        b"ms b 3 F9 T0\r\nxyz\r\n",
        b"get b\r\n",
        b"incr a 1\r\n",
        b"ms n 1\r\n1\r\n",
        b"incr n 5\r\n",
        b"ma n v\r\n",
        b"touch b 100\r\nmg b t\r\n",
    )
