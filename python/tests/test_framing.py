import json
import unittest

from hermes_handoff.framing import MAX_LINE_BYTES, DecodeError, FrameDecoder, decode_line, encode_frame
from hermes_handoff.text import clip, utf16_len

ACTIVE = {"v": 1, "type": "HANDOFF_ACTIVE", "handoff_id": "h1", "drained": 0, "paused_at": 1}


def line(obj: object) -> bytes:
    return json.dumps(obj).encode()


def err(d: object) -> DecodeError:
    assert isinstance(d, DecodeError), d
    return d


class DecodeOrder(unittest.TestCase):
    def test_discord_cursor(self) -> None:
        c = {"kind": "discord", "session_id": "abc", "seq": 0, "resume_gateway_url": "wss://gateway-us-east1-b.discord.gg/?v=10"}
        self.assertEqual(decode_line(line({**ACTIVE, "cursors": {"discord": c}})), {**ACTIVE, "cursors": {"discord": c}})

    def test_valid_frame_drops_unknown_fields_at_every_level(self) -> None:
        f = decode_line(line({**ACTIVE, "x": 1, "cursors": {"telegram": {"kind": "telegram", "offset": 5, "y": 2}}}))
        self.assertEqual(f, {**ACTIVE, "cursors": {"telegram": {"kind": "telegram", "offset": 5}}})

    def test_each_check_in_order(self) -> None:
        cases = [
            (b"\xff\xfe", "bad_frame", "line is not valid UTF-8", True),
            (b"\xed\xa0\x80", "bad_frame", "line is not valid UTF-8", True),  # an encoded surrogate
            (b"\xc0\xaf", "bad_frame", "line is not valid UTF-8", True),  # overlong
            (b"hello there", "bad_frame", "line is not valid JSON", True),
            (b"NaN", "bad_frame", "line is not valid JSON", True),
            (b'{"v":1,"type":"STATUS","x":Infinity}', "bad_frame", "line is not valid JSON", True),
            (b"[1]", "bad_frame", "a frame must be a JSON object", True),
            (b"null", "bad_frame", "a frame must be a JSON object", True),
            (b'{"v":1}', "bad_frame", 'a frame needs a string "type"', True),
            (b'{"v":1,"type":7}', "bad_frame", 'a frame needs a string "type"', True),
            (b'{"type":"STATUS"}', "bad_frame", 'STATUS: "v" must be an integer >= 1', True),
            (b'{"v":0,"type":"STATUS"}', "bad_frame", 'STATUS: "v" must be an integer >= 1', True),
            (b'{"v":true,"type":"STATUS"}', "bad_frame", 'STATUS: "v" must be an integer >= 1', True),
            (b'{"v":1.5,"type":"STATUS"}', "bad_frame", 'STATUS: "v" must be an integer >= 1', True),
            (b'{"v":9007199254740992,"type":"STATUS"}', "bad_frame", 'STATUS: "v" must be an integer >= 1', True),
            (b'{"v":1e400,"type":"STATUS"}', "bad_frame", "line is not valid JSON", True),
            (b'{"v":2,"type":"PING"}', "unknown_type", 'unknown frame type "PING"', False),
        ]
        for raw, code, message, fatal in cases:
            with self.subTest(raw=raw):
                e = err(decode_line(raw))
                self.assertEqual((e.code, e.message, e.fatal), (code, message, fatal))

    def test_integral_float_is_an_integer_and_v2_of_a_known_type_is_read(self) -> None:
        self.assertEqual(decode_line(b'{"v":1.0,"type":"STATUS"}'), {"v": 1, "type": "STATUS"})
        self.assertEqual(decode_line(b'{"v":2,"type":"STATUS","new":1}'), {"v": 2, "type": "STATUS"})

    def test_byte_order_mark_is_dropped_as_javascript_does(self) -> None:
        self.assertEqual(decode_line(b'\xef\xbb\xbf{"v":1,"type":"STATUS"}'), {"v": 1, "type": "STATUS"})

    def test_field_errors_name_the_path(self) -> None:
        cases = [
            ({**ACTIVE, "cursors": {"irc": {"kind": "irc"}}}, 'HANDOFF_ACTIVE: cursors.irc.kind: unknown adapter kind "irc"; expected telegram or discord'),
            ({**ACTIVE, "cursors": {"telegram": {"kind": "telegram", "offset": -1}}}, "HANDOFF_ACTIVE: cursors.telegram.offset: must be at least 0"),
            ({**ACTIVE, "cursors": {"Tele": {"kind": "telegram", "offset": 1}}}, "HANDOFF_ACTIVE: cursors.Tele: an adapter name is 1-64 characters of a-z 0-9 _ -"),
            ({**ACTIVE, "cursors": {"d": {"kind": "discord", "session_id": "s", "seq": 1, "resume_gateway_url": "http://x"}}}, "HANDOFF_ACTIVE: cursors.d.resume_gateway_url: a ws:// or wss:// URL of at most 512 characters"),
            ({**ACTIVE, "cursors": {"d": {"kind": "discord", "session_id": "s", "seq": 1, "resume_gateway_url": "wss://"}}}, "HANDOFF_ACTIVE: cursors.d.resume_gateway_url: a ws:// or wss:// URL of at most 512 characters"),
            ({**ACTIVE, "cursors": {"telegram": 72}}, 'HANDOFF_ACTIVE: cursors.telegram: an adapter cursor is an object with a "kind": telegram or discord'),
            ({**ACTIVE, "cursors": {"telegram": {"offset": 1}}}, 'HANDOFF_ACTIVE: cursors.telegram.kind: an adapter cursor needs a "kind": telegram or discord'),
            ({**ACTIVE, "cursors": {"t": {"kind": 5}}}, "HANDOFF_ACTIVE: cursors.t.kind: unknown adapter kind 5; expected telegram or discord"),
            ({**ACTIVE, "cursors": {f"a{i}": {"kind": "telegram", "offset": 1} for i in range(65)}}, "HANDOFF_ACTIVE: cursors: at most 64 adapters"),
            ({**ACTIVE, "cursors": {}, "drained": True}, "HANDOFF_ACTIVE: drained: expected an integer, got a boolean"),
            ({**ACTIVE, "cursors": {}, "paused_at": 2**53}, "HANDOFF_ACTIVE: paused_at: expected an integer, got an integer beyond 2^53-1"),
            ({"v": 1, "type": "ABORT", "handoff_id": "..", "reason": "x"}, 'ABORT: handoff_id: a handoff id cannot be "." or ".."'),
            ({"v": 1, "type": "ABORT", "handoff_id": "a/b", "reason": "x"}, "ABORT: handoff_id: a handoff id is 1-64 characters of A-Z a-z 0-9 . _ -"),
            ({"v": 1, "type": "ABORT", "handoff_id": "a"}, "ABORT: reason: required"),
            ({"v": 1, "type": "RESERVE", "handoff_id": "a", "release": "r", "runtime": "c", "bake_ms": 1, "deadlines": {"drain_ms": 0}}, "RESERVE: deadlines.drain_ms: must be greater than 0"),
            ({"v": 1, "type": "RESERVE", "handoff_id": "a", "release": "r", "runtime": "c", "bake_ms": 1, "deadlines": {"rollback_grace_ms": 5000}}, "RESERVE: deadlines.rollback_grace_ms: must be at least drain_ms (10000)"),
            ({"v": 1, "type": "RESERVE", "handoff_id": "a", "release": "r", "runtime": "c", "bake_ms": 1, "thresholds": {"max_error_rate": 2}}, "RESERVE: thresholds.max_error_rate: must be at most 1"),
        ]
        for frame, message in cases:
            with self.subTest(message=message):
                e = err(decode_line(line(frame)))
                self.assertEqual((e.code, e.message, e.fatal, e.frame), ("bad_frame", message, True, frame["type"]))

    def test_characters_are_utf16_code_units(self) -> None:
        ok = {"v": 1, "type": "ABORT", "handoff_id": "a", "reason": "\U0001f600" * 2048}  # 4096 units
        self.assertNotIsInstance(decode_line(line(ok)), DecodeError)
        too_long = {**ok, "reason": "\U0001f600" * 2048 + "x"}
        self.assertEqual(err(decode_line(line(too_long))).message, "ABORT: reason: must be at most 4096 characters")
        self.assertEqual(utf16_len("a\U0001f600"), 3)
        self.assertEqual(clip("ab\U0001f600", 3), "ab\u2026")

    def test_huge_numbers_and_deep_nesting_never_raise(self) -> None:
        # A literal that is not a finite double makes the line invalid, in any field (protocol section 4).
        self.assertEqual(err(decode_line(b'{"v":1,"type":"STATUS","x":' + b"9" * 5000 + b"}")).message, "line is not valid JSON")
        self.assertEqual(decode_line(b'{"v":1,"type":"STATUS","x":' + b"9" * 300 + b"}"), {"v": 1, "type": "STATUS"})
        e = err(decode_line(b'{"v":1,"type":"ABORT","handoff_id":"a","reason":"r","v":1,"x":' + b"[" * 5000 + b"]" * 5000 + b"}"))
        self.assertEqual(e.code, "bad_frame")
        e = err(decode_line(line({"v": 1, "type": "HELLO", "role": "observer", "token": "t", "pid": 10**300})))
        self.assertEqual(e.message, "HELLO: pid: expected an integer")

    def test_unknown_type_is_quoted_and_cut_to_64_units(self) -> None:
        e = err(decode_line(line({"v": 1, "type": 'Q"' + "x" * 100})))
        self.assertEqual(e.frame, 'Q"' + "x" * 62)
        self.assertEqual(e.message, 'unknown frame type "Q\\"' + "x" * 62 + '"')


class Decoder(unittest.TestCase):
    def test_lines_across_chunks_crlf_and_empty_lines(self) -> None:
        d = FrameDecoder()
        out = d.push(b'{"v":1,"type":"ST')
        self.assertEqual(out, [])
        self.assertEqual(d.pending, 17)
        out = d.push(b'ATUS"}\r\n\n\r\n{"v":1,"type":"SUBSCRIBE"}\n')
        self.assertEqual(out, [{"v": 1, "type": "STATUS"}, {"v": 1, "type": "SUBSCRIBE"}])

    def test_line_limit_exactly(self) -> None:
        body = b'{"v":1,"type":"STATUS","p":"' + b"x" * (MAX_LINE_BYTES - 30) + b'"}'
        self.assertEqual(len(body), MAX_LINE_BYTES)
        self.assertEqual(FrameDecoder().push(body + b"\r\n"), [{"v": 1, "type": "STATUS"}])
        self.assertEqual(FrameDecoder().push(body + b"\n"), [{"v": 1, "type": "STATUS"}])
        # One more byte, whether or not the newline has come, is refused before it is kept.
        over = FrameDecoder().push(body + b"x")
        self.assertEqual([(e.code, e.message) for e in map(err, over)], [("too_large", "line longer than 65536 bytes")])
        self.assertEqual(err(FrameDecoder().push(body[:-1] + b"xx\n")[0]).code, "too_large")
        self.assertEqual(FrameDecoder().push(body + b"\r"), [])  # could still be a CRLF

    def test_unfinished_line_never_holds_more_than_one_line(self) -> None:
        d = FrameDecoder()
        for _ in range(64):
            if d.push(b"y" * 1024):
                break
        self.assertLessEqual(d.pending, MAX_LINE_BYTES + 1)
        self.assertEqual(err(d.push(b"y" * 2048)[0]).code, "too_large")

    def test_nothing_is_decoded_after_a_fatal_error(self) -> None:
        d = FrameDecoder()
        out = d.push(b'{"v":2,"type":"PING"}\nnot json\n{"v":1,"type":"STATUS"}\n')
        self.assertEqual([err(x).code for x in out], ["unknown_type", "bad_frame"])
        self.assertEqual(d.push(b'{"v":1,"type":"STATUS"}\n'), [])


class Encode(unittest.TestCase):
    def test_fills_v_and_keeps_a_lone_surrogate_valid_utf8(self) -> None:
        data = encode_frame({"type": "ABORT", "handoff_id": "a", "reason": "\ud800\u00e9"})
        self.assertTrue(data.endswith(b"\n"))
        data.decode("utf-8")  # valid UTF-8
        self.assertEqual(decode_line(data[:-1]), {"v": 1, "type": "ABORT", "handoff_id": "a", "reason": "\ud800\u00e9"})

    def test_refuses_a_frame_over_the_limit(self) -> None:
        with self.assertRaises(ValueError):
            encode_frame({"type": "ABORT", "handoff_id": "a", "reason": "x" * MAX_LINE_BYTES})

    def test_refuses_nan(self) -> None:
        with self.assertRaises(ValueError):
            encode_frame({"type": "X", "n": float("nan")})


if __name__ == "__main__":
    unittest.main()
