import { createRequire as __hhCreateRequire } from 'node:module';
import { fileURLToPath as __hhFileURLToPath } from 'node:url';
import { dirname as __hhDirname } from 'node:path';
const require = __hhCreateRequire(import.meta.url);
const __filename = __hhFileURLToPath(import.meta.url);
const __dirname = __hhDirname(__filename);
import {
  external_exports
} from "./chunk-ZGWB6UPF.js";
import {
  __commonJS,
  __require,
  __toESM
} from "./chunk-CZ3X2CHL.js";

// node_modules/asn1/lib/ber/errors.js
var require_errors = __commonJS({
  "node_modules/asn1/lib/ber/errors.js"(exports, module) {
    module.exports = {
      newInvalidAsn1Error: function(msg) {
        var e = new Error();
        return e.name = "InvalidAsn1Error", e.message = msg || "", e;
      }
    };
  }
});

// node_modules/asn1/lib/ber/types.js
var require_types = __commonJS({
  "node_modules/asn1/lib/ber/types.js"(exports, module) {
    module.exports = {
      EOC: 0,
      Boolean: 1,
      Integer: 2,
      BitString: 3,
      OctetString: 4,
      Null: 5,
      OID: 6,
      ObjectDescriptor: 7,
      External: 8,
      Real: 9,
      // float
      Enumeration: 10,
      PDV: 11,
      Utf8String: 12,
      RelativeOID: 13,
      Sequence: 16,
      Set: 17,
      NumericString: 18,
      PrintableString: 19,
      T61String: 20,
      VideotexString: 21,
      IA5String: 22,
      UTCTime: 23,
      GeneralizedTime: 24,
      GraphicString: 25,
      VisibleString: 26,
      GeneralString: 28,
      UniversalString: 29,
      CharacterString: 30,
      BMPString: 31,
      Constructor: 32,
      Context: 128
    };
  }
});

// node_modules/safer-buffer/safer.js
var require_safer = __commonJS({
  "node_modules/safer-buffer/safer.js"(exports, module) {
    "use strict";
    var buffer = __require("buffer"), Buffer2 = buffer.Buffer, safer = {}, key;
    for (key in buffer)
      buffer.hasOwnProperty(key) && (key === "SlowBuffer" || key === "Buffer" || (safer[key] = buffer[key]));
    var Safer = safer.Buffer = {};
    for (key in Buffer2)
      Buffer2.hasOwnProperty(key) && (key === "allocUnsafe" || key === "allocUnsafeSlow" || (Safer[key] = Buffer2[key]));
    safer.Buffer.prototype = Buffer2.prototype;
    (!Safer.from || Safer.from === Uint8Array.from) && (Safer.from = function(value, encodingOrOffset, length) {
      if (typeof value == "number")
        throw new TypeError('The "value" argument must not be of type number. Received type ' + typeof value);
      if (value && typeof value.length > "u")
        throw new TypeError("The first argument must be one of type string, Buffer, ArrayBuffer, Array, or Array-like Object. Received type " + typeof value);
      return Buffer2(value, encodingOrOffset, length);
    });
    Safer.alloc || (Safer.alloc = function(size, fill, encoding) {
      if (typeof size != "number")
        throw new TypeError('The "size" argument must be of type number. Received type ' + typeof size);
      if (size < 0 || size >= 2 * (1 << 30))
        throw new RangeError('The value "' + size + '" is invalid for option "size"');
      var buf = Buffer2(size);
      return !fill || fill.length === 0 ? buf.fill(0) : typeof encoding == "string" ? buf.fill(fill, encoding) : buf.fill(fill), buf;
    });
    if (!safer.kStringMaxLength)
      try {
        safer.kStringMaxLength = process.binding("buffer").kStringMaxLength;
      } catch {
      }
    safer.constants || (safer.constants = {
      MAX_LENGTH: safer.kMaxLength
    }, safer.kStringMaxLength && (safer.constants.MAX_STRING_LENGTH = safer.kStringMaxLength));
    module.exports = safer;
  }
});

// node_modules/asn1/lib/ber/reader.js
var require_reader = __commonJS({
  "node_modules/asn1/lib/ber/reader.js"(exports, module) {
    var assert = __require("assert"), Buffer2 = require_safer().Buffer, ASN1 = require_types(), errors = require_errors(), newInvalidAsn1Error = errors.newInvalidAsn1Error;
    function Reader(data) {
      if (!data || !Buffer2.isBuffer(data))
        throw new TypeError("data must be a node Buffer");
      this._buf = data, this._size = data.length, this._len = 0, this._offset = 0;
    }
    Object.defineProperty(Reader.prototype, "length", {
      enumerable: !0,
      get: function() {
        return this._len;
      }
    });
    Object.defineProperty(Reader.prototype, "offset", {
      enumerable: !0,
      get: function() {
        return this._offset;
      }
    });
    Object.defineProperty(Reader.prototype, "remain", {
      get: function() {
        return this._size - this._offset;
      }
    });
    Object.defineProperty(Reader.prototype, "buffer", {
      get: function() {
        return this._buf.slice(this._offset);
      }
    });
    Reader.prototype.readByte = function(peek) {
      if (this._size - this._offset < 1)
        return null;
      var b = this._buf[this._offset] & 255;
      return peek || (this._offset += 1), b;
    };
    Reader.prototype.peek = function() {
      return this.readByte(!0);
    };
    Reader.prototype.readLength = function(offset) {
      if (offset === void 0 && (offset = this._offset), offset >= this._size)
        return null;
      var lenB = this._buf[offset++] & 255;
      if (lenB === null)
        return null;
      if ((lenB & 128) === 128) {
        if (lenB &= 127, lenB === 0)
          throw newInvalidAsn1Error("Indefinite length not supported");
        if (lenB > 4)
          throw newInvalidAsn1Error("encoding too long");
        if (this._size - offset < lenB)
          return null;
        this._len = 0;
        for (var i = 0; i < lenB; i++)
          this._len = (this._len << 8) + (this._buf[offset++] & 255);
      } else
        this._len = lenB;
      return offset;
    };
    Reader.prototype.readSequence = function(tag) {
      var seq = this.peek();
      if (seq === null)
        return null;
      if (tag !== void 0 && tag !== seq)
        throw newInvalidAsn1Error("Expected 0x" + tag.toString(16) + ": got 0x" + seq.toString(16));
      var o = this.readLength(this._offset + 1);
      return o === null ? null : (this._offset = o, seq);
    };
    Reader.prototype.readInt = function() {
      return this._readTag(ASN1.Integer);
    };
    Reader.prototype.readBoolean = function() {
      return this._readTag(ASN1.Boolean) !== 0;
    };
    Reader.prototype.readEnumeration = function() {
      return this._readTag(ASN1.Enumeration);
    };
    Reader.prototype.readString = function(tag, retbuf) {
      tag || (tag = ASN1.OctetString);
      var b = this.peek();
      if (b === null)
        return null;
      if (b !== tag)
        throw newInvalidAsn1Error("Expected 0x" + tag.toString(16) + ": got 0x" + b.toString(16));
      var o = this.readLength(this._offset + 1);
      if (o === null || this.length > this._size - o)
        return null;
      if (this._offset = o, this.length === 0)
        return retbuf ? Buffer2.alloc(0) : "";
      var str = this._buf.slice(this._offset, this._offset + this.length);
      return this._offset += this.length, retbuf ? str : str.toString("utf8");
    };
    Reader.prototype.readOID = function(tag) {
      tag || (tag = ASN1.OID);
      var b = this.readString(tag, !0);
      if (b === null)
        return null;
      for (var values = [], value = 0, i = 0; i < b.length; i++) {
        var byte = b[i] & 255;
        value <<= 7, value += byte & 127, (byte & 128) === 0 && (values.push(value), value = 0);
      }
      return value = values.shift(), values.unshift(value % 40), values.unshift(value / 40 >> 0), values.join(".");
    };
    Reader.prototype._readTag = function(tag) {
      assert.ok(tag !== void 0);
      var b = this.peek();
      if (b === null)
        return null;
      if (b !== tag)
        throw newInvalidAsn1Error("Expected 0x" + tag.toString(16) + ": got 0x" + b.toString(16));
      var o = this.readLength(this._offset + 1);
      if (o === null)
        return null;
      if (this.length > 4)
        throw newInvalidAsn1Error("Integer too long: " + this.length);
      if (this.length > this._size - o)
        return null;
      this._offset = o;
      for (var fb = this._buf[this._offset], value = 0, i = 0; i < this.length; i++)
        value <<= 8, value |= this._buf[this._offset++] & 255;
      return (fb & 128) === 128 && i !== 4 && (value -= 1 << i * 8), value >> 0;
    };
    module.exports = Reader;
  }
});

// node_modules/asn1/lib/ber/writer.js
var require_writer = __commonJS({
  "node_modules/asn1/lib/ber/writer.js"(exports, module) {
    var assert = __require("assert"), Buffer2 = require_safer().Buffer, ASN1 = require_types(), errors = require_errors(), newInvalidAsn1Error = errors.newInvalidAsn1Error, DEFAULT_OPTS = {
      size: 1024,
      growthFactor: 8
    };
    function merge(from, to) {
      assert.ok(from), assert.equal(typeof from, "object"), assert.ok(to), assert.equal(typeof to, "object");
      var keys = Object.getOwnPropertyNames(from);
      return keys.forEach(function(key) {
        if (!to[key]) {
          var value = Object.getOwnPropertyDescriptor(from, key);
          Object.defineProperty(to, key, value);
        }
      }), to;
    }
    function Writer(options) {
      options = merge(DEFAULT_OPTS, options || {}), this._buf = Buffer2.alloc(options.size || 1024), this._size = this._buf.length, this._offset = 0, this._options = options, this._seq = [];
    }
    Object.defineProperty(Writer.prototype, "buffer", {
      get: function() {
        if (this._seq.length)
          throw newInvalidAsn1Error(this._seq.length + " unended sequence(s)");
        return this._buf.slice(0, this._offset);
      }
    });
    Writer.prototype.writeByte = function(b) {
      if (typeof b != "number")
        throw new TypeError("argument must be a Number");
      this._ensure(1), this._buf[this._offset++] = b;
    };
    Writer.prototype.writeInt = function(i, tag) {
      if (typeof i != "number")
        throw new TypeError("argument must be a Number");
      typeof tag != "number" && (tag = ASN1.Integer);
      for (var sz = 4; ((i & 4286578688) === 0 || (i & 4286578688) === -8388608) && sz > 1; )
        sz--, i <<= 8;
      if (sz > 4)
        throw newInvalidAsn1Error("BER ints cannot be > 0xffffffff");
      for (this._ensure(2 + sz), this._buf[this._offset++] = tag, this._buf[this._offset++] = sz; sz-- > 0; )
        this._buf[this._offset++] = (i & 4278190080) >>> 24, i <<= 8;
    };
    Writer.prototype.writeNull = function() {
      this.writeByte(ASN1.Null), this.writeByte(0);
    };
    Writer.prototype.writeEnumeration = function(i, tag) {
      if (typeof i != "number")
        throw new TypeError("argument must be a Number");
      return typeof tag != "number" && (tag = ASN1.Enumeration), this.writeInt(i, tag);
    };
    Writer.prototype.writeBoolean = function(b, tag) {
      if (typeof b != "boolean")
        throw new TypeError("argument must be a Boolean");
      typeof tag != "number" && (tag = ASN1.Boolean), this._ensure(3), this._buf[this._offset++] = tag, this._buf[this._offset++] = 1, this._buf[this._offset++] = b ? 255 : 0;
    };
    Writer.prototype.writeString = function(s, tag) {
      if (typeof s != "string")
        throw new TypeError("argument must be a string (was: " + typeof s + ")");
      typeof tag != "number" && (tag = ASN1.OctetString);
      var len = Buffer2.byteLength(s);
      this.writeByte(tag), this.writeLength(len), len && (this._ensure(len), this._buf.write(s, this._offset), this._offset += len);
    };
    Writer.prototype.writeBuffer = function(buf, tag) {
      if (typeof tag != "number")
        throw new TypeError("tag must be a number");
      if (!Buffer2.isBuffer(buf))
        throw new TypeError("argument must be a buffer");
      this.writeByte(tag), this.writeLength(buf.length), this._ensure(buf.length), buf.copy(this._buf, this._offset, 0, buf.length), this._offset += buf.length;
    };
    Writer.prototype.writeStringArray = function(strings) {
      if (!strings instanceof Array)
        throw new TypeError("argument must be an Array[String]");
      var self2 = this;
      strings.forEach(function(s) {
        self2.writeString(s);
      });
    };
    Writer.prototype.writeOID = function(s, tag) {
      if (typeof s != "string")
        throw new TypeError("argument must be a string");
      if (typeof tag != "number" && (tag = ASN1.OID), !/^([0-9]+\.){3,}[0-9]+$/.test(s))
        throw new Error("argument is not a valid OID string");
      function encodeOctet(bytes2, octet) {
        octet < 128 ? bytes2.push(octet) : octet < 16384 ? (bytes2.push(octet >>> 7 | 128), bytes2.push(octet & 127)) : octet < 2097152 ? (bytes2.push(octet >>> 14 | 128), bytes2.push((octet >>> 7 | 128) & 255), bytes2.push(octet & 127)) : octet < 268435456 ? (bytes2.push(octet >>> 21 | 128), bytes2.push((octet >>> 14 | 128) & 255), bytes2.push((octet >>> 7 | 128) & 255), bytes2.push(octet & 127)) : (bytes2.push((octet >>> 28 | 128) & 255), bytes2.push((octet >>> 21 | 128) & 255), bytes2.push((octet >>> 14 | 128) & 255), bytes2.push((octet >>> 7 | 128) & 255), bytes2.push(octet & 127));
      }
      var tmp = s.split("."), bytes = [];
      bytes.push(parseInt(tmp[0], 10) * 40 + parseInt(tmp[1], 10)), tmp.slice(2).forEach(function(b) {
        encodeOctet(bytes, parseInt(b, 10));
      });
      var self2 = this;
      this._ensure(2 + bytes.length), this.writeByte(tag), this.writeLength(bytes.length), bytes.forEach(function(b) {
        self2.writeByte(b);
      });
    };
    Writer.prototype.writeLength = function(len) {
      if (typeof len != "number")
        throw new TypeError("argument must be a Number");
      if (this._ensure(4), len <= 127)
        this._buf[this._offset++] = len;
      else if (len <= 255)
        this._buf[this._offset++] = 129, this._buf[this._offset++] = len;
      else if (len <= 65535)
        this._buf[this._offset++] = 130, this._buf[this._offset++] = len >> 8, this._buf[this._offset++] = len;
      else if (len <= 16777215)
        this._buf[this._offset++] = 131, this._buf[this._offset++] = len >> 16, this._buf[this._offset++] = len >> 8, this._buf[this._offset++] = len;
      else
        throw newInvalidAsn1Error("Length too long (> 4 bytes)");
    };
    Writer.prototype.startSequence = function(tag) {
      typeof tag != "number" && (tag = ASN1.Sequence | ASN1.Constructor), this.writeByte(tag), this._seq.push(this._offset), this._ensure(3), this._offset += 3;
    };
    Writer.prototype.endSequence = function() {
      var seq = this._seq.pop(), start = seq + 3, len = this._offset - start;
      if (len <= 127)
        this._shift(start, len, -2), this._buf[seq] = len;
      else if (len <= 255)
        this._shift(start, len, -1), this._buf[seq] = 129, this._buf[seq + 1] = len;
      else if (len <= 65535)
        this._buf[seq] = 130, this._buf[seq + 1] = len >> 8, this._buf[seq + 2] = len;
      else if (len <= 16777215)
        this._shift(start, len, 1), this._buf[seq] = 131, this._buf[seq + 1] = len >> 16, this._buf[seq + 2] = len >> 8, this._buf[seq + 3] = len;
      else
        throw newInvalidAsn1Error("Sequence too long");
    };
    Writer.prototype._shift = function(start, len, shift) {
      assert.ok(start !== void 0), assert.ok(len !== void 0), assert.ok(shift), this._buf.copy(this._buf, start + shift, start, start + len), this._offset += shift;
    };
    Writer.prototype._ensure = function(len) {
      if (assert.ok(len), this._size - this._offset < len) {
        var sz = this._size * this._options.growthFactor;
        sz - this._offset < len && (sz += len);
        var buf = Buffer2.alloc(sz);
        this._buf.copy(buf, 0, 0, this._offset), this._buf = buf, this._size = sz;
      }
    };
    module.exports = Writer;
  }
});

// node_modules/asn1/lib/ber/index.js
var require_ber = __commonJS({
  "node_modules/asn1/lib/ber/index.js"(exports, module) {
    var errors = require_errors(), types = require_types(), Reader = require_reader(), Writer = require_writer();
    module.exports = {
      Reader,
      Writer
    };
    for (t in types)
      types.hasOwnProperty(t) && (module.exports[t] = types[t]);
    var t;
    for (e in errors)
      errors.hasOwnProperty(e) && (module.exports[e] = errors[e]);
    var e;
  }
});

// node_modules/asn1/lib/index.js
var require_lib = __commonJS({
  "node_modules/asn1/lib/index.js"(exports, module) {
    var Ber = require_ber();
    module.exports = {
      Ber,
      BerReader: Ber.Reader,
      BerWriter: Ber.Writer
    };
  }
});

// node_modules/tweetnacl/nacl-fast.js
var require_nacl_fast = __commonJS({
  "node_modules/tweetnacl/nacl-fast.js"(exports, module) {
    (function(nacl) {
      "use strict";
      var gf = function(init) {
        var i, r = new Float64Array(16);
        if (init) for (i = 0; i < init.length; i++) r[i] = init[i];
        return r;
      }, randombytes = function() {
        throw new Error("no PRNG");
      }, _0 = new Uint8Array(16), _9 = new Uint8Array(32);
      _9[0] = 9;
      var gf0 = gf(), gf1 = gf([1]), _121665 = gf([56129, 1]), D = gf([30883, 4953, 19914, 30187, 55467, 16705, 2637, 112, 59544, 30585, 16505, 36039, 65139, 11119, 27886, 20995]), D2 = gf([61785, 9906, 39828, 60374, 45398, 33411, 5274, 224, 53552, 61171, 33010, 6542, 64743, 22239, 55772, 9222]), X = gf([54554, 36645, 11616, 51542, 42930, 38181, 51040, 26924, 56412, 64982, 57905, 49316, 21502, 52590, 14035, 8553]), Y = gf([26200, 26214, 26214, 26214, 26214, 26214, 26214, 26214, 26214, 26214, 26214, 26214, 26214, 26214, 26214, 26214]), I = gf([41136, 18958, 6951, 50414, 58488, 44335, 6150, 12099, 55207, 15867, 153, 11085, 57099, 20417, 9344, 11139]);
      function ts64(x, i, h, l) {
        x[i] = h >> 24 & 255, x[i + 1] = h >> 16 & 255, x[i + 2] = h >> 8 & 255, x[i + 3] = h & 255, x[i + 4] = l >> 24 & 255, x[i + 5] = l >> 16 & 255, x[i + 6] = l >> 8 & 255, x[i + 7] = l & 255;
      }
      function vn(x, xi, y, yi, n) {
        var i, d = 0;
        for (i = 0; i < n; i++) d |= x[xi + i] ^ y[yi + i];
        return (1 & d - 1 >>> 8) - 1;
      }
      function crypto_verify_16(x, xi, y, yi) {
        return vn(x, xi, y, yi, 16);
      }
      function crypto_verify_32(x, xi, y, yi) {
        return vn(x, xi, y, yi, 32);
      }
      function core_salsa20(o, p, k, c) {
        for (var j0 = c[0] & 255 | (c[1] & 255) << 8 | (c[2] & 255) << 16 | (c[3] & 255) << 24, j1 = k[0] & 255 | (k[1] & 255) << 8 | (k[2] & 255) << 16 | (k[3] & 255) << 24, j2 = k[4] & 255 | (k[5] & 255) << 8 | (k[6] & 255) << 16 | (k[7] & 255) << 24, j3 = k[8] & 255 | (k[9] & 255) << 8 | (k[10] & 255) << 16 | (k[11] & 255) << 24, j4 = k[12] & 255 | (k[13] & 255) << 8 | (k[14] & 255) << 16 | (k[15] & 255) << 24, j5 = c[4] & 255 | (c[5] & 255) << 8 | (c[6] & 255) << 16 | (c[7] & 255) << 24, j6 = p[0] & 255 | (p[1] & 255) << 8 | (p[2] & 255) << 16 | (p[3] & 255) << 24, j7 = p[4] & 255 | (p[5] & 255) << 8 | (p[6] & 255) << 16 | (p[7] & 255) << 24, j8 = p[8] & 255 | (p[9] & 255) << 8 | (p[10] & 255) << 16 | (p[11] & 255) << 24, j9 = p[12] & 255 | (p[13] & 255) << 8 | (p[14] & 255) << 16 | (p[15] & 255) << 24, j10 = c[8] & 255 | (c[9] & 255) << 8 | (c[10] & 255) << 16 | (c[11] & 255) << 24, j11 = k[16] & 255 | (k[17] & 255) << 8 | (k[18] & 255) << 16 | (k[19] & 255) << 24, j12 = k[20] & 255 | (k[21] & 255) << 8 | (k[22] & 255) << 16 | (k[23] & 255) << 24, j13 = k[24] & 255 | (k[25] & 255) << 8 | (k[26] & 255) << 16 | (k[27] & 255) << 24, j14 = k[28] & 255 | (k[29] & 255) << 8 | (k[30] & 255) << 16 | (k[31] & 255) << 24, j15 = c[12] & 255 | (c[13] & 255) << 8 | (c[14] & 255) << 16 | (c[15] & 255) << 24, x0 = j0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = j5, x6 = j6, x7 = j7, x8 = j8, x9 = j9, x10 = j10, x11 = j11, x12 = j12, x13 = j13, x14 = j14, x15 = j15, u, i = 0; i < 20; i += 2)
          u = x0 + x12 | 0, x4 ^= u << 7 | u >>> 25, u = x4 + x0 | 0, x8 ^= u << 9 | u >>> 23, u = x8 + x4 | 0, x12 ^= u << 13 | u >>> 19, u = x12 + x8 | 0, x0 ^= u << 18 | u >>> 14, u = x5 + x1 | 0, x9 ^= u << 7 | u >>> 25, u = x9 + x5 | 0, x13 ^= u << 9 | u >>> 23, u = x13 + x9 | 0, x1 ^= u << 13 | u >>> 19, u = x1 + x13 | 0, x5 ^= u << 18 | u >>> 14, u = x10 + x6 | 0, x14 ^= u << 7 | u >>> 25, u = x14 + x10 | 0, x2 ^= u << 9 | u >>> 23, u = x2 + x14 | 0, x6 ^= u << 13 | u >>> 19, u = x6 + x2 | 0, x10 ^= u << 18 | u >>> 14, u = x15 + x11 | 0, x3 ^= u << 7 | u >>> 25, u = x3 + x15 | 0, x7 ^= u << 9 | u >>> 23, u = x7 + x3 | 0, x11 ^= u << 13 | u >>> 19, u = x11 + x7 | 0, x15 ^= u << 18 | u >>> 14, u = x0 + x3 | 0, x1 ^= u << 7 | u >>> 25, u = x1 + x0 | 0, x2 ^= u << 9 | u >>> 23, u = x2 + x1 | 0, x3 ^= u << 13 | u >>> 19, u = x3 + x2 | 0, x0 ^= u << 18 | u >>> 14, u = x5 + x4 | 0, x6 ^= u << 7 | u >>> 25, u = x6 + x5 | 0, x7 ^= u << 9 | u >>> 23, u = x7 + x6 | 0, x4 ^= u << 13 | u >>> 19, u = x4 + x7 | 0, x5 ^= u << 18 | u >>> 14, u = x10 + x9 | 0, x11 ^= u << 7 | u >>> 25, u = x11 + x10 | 0, x8 ^= u << 9 | u >>> 23, u = x8 + x11 | 0, x9 ^= u << 13 | u >>> 19, u = x9 + x8 | 0, x10 ^= u << 18 | u >>> 14, u = x15 + x14 | 0, x12 ^= u << 7 | u >>> 25, u = x12 + x15 | 0, x13 ^= u << 9 | u >>> 23, u = x13 + x12 | 0, x14 ^= u << 13 | u >>> 19, u = x14 + x13 | 0, x15 ^= u << 18 | u >>> 14;
        x0 = x0 + j0 | 0, x1 = x1 + j1 | 0, x2 = x2 + j2 | 0, x3 = x3 + j3 | 0, x4 = x4 + j4 | 0, x5 = x5 + j5 | 0, x6 = x6 + j6 | 0, x7 = x7 + j7 | 0, x8 = x8 + j8 | 0, x9 = x9 + j9 | 0, x10 = x10 + j10 | 0, x11 = x11 + j11 | 0, x12 = x12 + j12 | 0, x13 = x13 + j13 | 0, x14 = x14 + j14 | 0, x15 = x15 + j15 | 0, o[0] = x0 >>> 0 & 255, o[1] = x0 >>> 8 & 255, o[2] = x0 >>> 16 & 255, o[3] = x0 >>> 24 & 255, o[4] = x1 >>> 0 & 255, o[5] = x1 >>> 8 & 255, o[6] = x1 >>> 16 & 255, o[7] = x1 >>> 24 & 255, o[8] = x2 >>> 0 & 255, o[9] = x2 >>> 8 & 255, o[10] = x2 >>> 16 & 255, o[11] = x2 >>> 24 & 255, o[12] = x3 >>> 0 & 255, o[13] = x3 >>> 8 & 255, o[14] = x3 >>> 16 & 255, o[15] = x3 >>> 24 & 255, o[16] = x4 >>> 0 & 255, o[17] = x4 >>> 8 & 255, o[18] = x4 >>> 16 & 255, o[19] = x4 >>> 24 & 255, o[20] = x5 >>> 0 & 255, o[21] = x5 >>> 8 & 255, o[22] = x5 >>> 16 & 255, o[23] = x5 >>> 24 & 255, o[24] = x6 >>> 0 & 255, o[25] = x6 >>> 8 & 255, o[26] = x6 >>> 16 & 255, o[27] = x6 >>> 24 & 255, o[28] = x7 >>> 0 & 255, o[29] = x7 >>> 8 & 255, o[30] = x7 >>> 16 & 255, o[31] = x7 >>> 24 & 255, o[32] = x8 >>> 0 & 255, o[33] = x8 >>> 8 & 255, o[34] = x8 >>> 16 & 255, o[35] = x8 >>> 24 & 255, o[36] = x9 >>> 0 & 255, o[37] = x9 >>> 8 & 255, o[38] = x9 >>> 16 & 255, o[39] = x9 >>> 24 & 255, o[40] = x10 >>> 0 & 255, o[41] = x10 >>> 8 & 255, o[42] = x10 >>> 16 & 255, o[43] = x10 >>> 24 & 255, o[44] = x11 >>> 0 & 255, o[45] = x11 >>> 8 & 255, o[46] = x11 >>> 16 & 255, o[47] = x11 >>> 24 & 255, o[48] = x12 >>> 0 & 255, o[49] = x12 >>> 8 & 255, o[50] = x12 >>> 16 & 255, o[51] = x12 >>> 24 & 255, o[52] = x13 >>> 0 & 255, o[53] = x13 >>> 8 & 255, o[54] = x13 >>> 16 & 255, o[55] = x13 >>> 24 & 255, o[56] = x14 >>> 0 & 255, o[57] = x14 >>> 8 & 255, o[58] = x14 >>> 16 & 255, o[59] = x14 >>> 24 & 255, o[60] = x15 >>> 0 & 255, o[61] = x15 >>> 8 & 255, o[62] = x15 >>> 16 & 255, o[63] = x15 >>> 24 & 255;
      }
      function core_hsalsa20(o, p, k, c) {
        for (var j0 = c[0] & 255 | (c[1] & 255) << 8 | (c[2] & 255) << 16 | (c[3] & 255) << 24, j1 = k[0] & 255 | (k[1] & 255) << 8 | (k[2] & 255) << 16 | (k[3] & 255) << 24, j2 = k[4] & 255 | (k[5] & 255) << 8 | (k[6] & 255) << 16 | (k[7] & 255) << 24, j3 = k[8] & 255 | (k[9] & 255) << 8 | (k[10] & 255) << 16 | (k[11] & 255) << 24, j4 = k[12] & 255 | (k[13] & 255) << 8 | (k[14] & 255) << 16 | (k[15] & 255) << 24, j5 = c[4] & 255 | (c[5] & 255) << 8 | (c[6] & 255) << 16 | (c[7] & 255) << 24, j6 = p[0] & 255 | (p[1] & 255) << 8 | (p[2] & 255) << 16 | (p[3] & 255) << 24, j7 = p[4] & 255 | (p[5] & 255) << 8 | (p[6] & 255) << 16 | (p[7] & 255) << 24, j8 = p[8] & 255 | (p[9] & 255) << 8 | (p[10] & 255) << 16 | (p[11] & 255) << 24, j9 = p[12] & 255 | (p[13] & 255) << 8 | (p[14] & 255) << 16 | (p[15] & 255) << 24, j10 = c[8] & 255 | (c[9] & 255) << 8 | (c[10] & 255) << 16 | (c[11] & 255) << 24, j11 = k[16] & 255 | (k[17] & 255) << 8 | (k[18] & 255) << 16 | (k[19] & 255) << 24, j12 = k[20] & 255 | (k[21] & 255) << 8 | (k[22] & 255) << 16 | (k[23] & 255) << 24, j13 = k[24] & 255 | (k[25] & 255) << 8 | (k[26] & 255) << 16 | (k[27] & 255) << 24, j14 = k[28] & 255 | (k[29] & 255) << 8 | (k[30] & 255) << 16 | (k[31] & 255) << 24, j15 = c[12] & 255 | (c[13] & 255) << 8 | (c[14] & 255) << 16 | (c[15] & 255) << 24, x0 = j0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = j5, x6 = j6, x7 = j7, x8 = j8, x9 = j9, x10 = j10, x11 = j11, x12 = j12, x13 = j13, x14 = j14, x15 = j15, u, i = 0; i < 20; i += 2)
          u = x0 + x12 | 0, x4 ^= u << 7 | u >>> 25, u = x4 + x0 | 0, x8 ^= u << 9 | u >>> 23, u = x8 + x4 | 0, x12 ^= u << 13 | u >>> 19, u = x12 + x8 | 0, x0 ^= u << 18 | u >>> 14, u = x5 + x1 | 0, x9 ^= u << 7 | u >>> 25, u = x9 + x5 | 0, x13 ^= u << 9 | u >>> 23, u = x13 + x9 | 0, x1 ^= u << 13 | u >>> 19, u = x1 + x13 | 0, x5 ^= u << 18 | u >>> 14, u = x10 + x6 | 0, x14 ^= u << 7 | u >>> 25, u = x14 + x10 | 0, x2 ^= u << 9 | u >>> 23, u = x2 + x14 | 0, x6 ^= u << 13 | u >>> 19, u = x6 + x2 | 0, x10 ^= u << 18 | u >>> 14, u = x15 + x11 | 0, x3 ^= u << 7 | u >>> 25, u = x3 + x15 | 0, x7 ^= u << 9 | u >>> 23, u = x7 + x3 | 0, x11 ^= u << 13 | u >>> 19, u = x11 + x7 | 0, x15 ^= u << 18 | u >>> 14, u = x0 + x3 | 0, x1 ^= u << 7 | u >>> 25, u = x1 + x0 | 0, x2 ^= u << 9 | u >>> 23, u = x2 + x1 | 0, x3 ^= u << 13 | u >>> 19, u = x3 + x2 | 0, x0 ^= u << 18 | u >>> 14, u = x5 + x4 | 0, x6 ^= u << 7 | u >>> 25, u = x6 + x5 | 0, x7 ^= u << 9 | u >>> 23, u = x7 + x6 | 0, x4 ^= u << 13 | u >>> 19, u = x4 + x7 | 0, x5 ^= u << 18 | u >>> 14, u = x10 + x9 | 0, x11 ^= u << 7 | u >>> 25, u = x11 + x10 | 0, x8 ^= u << 9 | u >>> 23, u = x8 + x11 | 0, x9 ^= u << 13 | u >>> 19, u = x9 + x8 | 0, x10 ^= u << 18 | u >>> 14, u = x15 + x14 | 0, x12 ^= u << 7 | u >>> 25, u = x12 + x15 | 0, x13 ^= u << 9 | u >>> 23, u = x13 + x12 | 0, x14 ^= u << 13 | u >>> 19, u = x14 + x13 | 0, x15 ^= u << 18 | u >>> 14;
        o[0] = x0 >>> 0 & 255, o[1] = x0 >>> 8 & 255, o[2] = x0 >>> 16 & 255, o[3] = x0 >>> 24 & 255, o[4] = x5 >>> 0 & 255, o[5] = x5 >>> 8 & 255, o[6] = x5 >>> 16 & 255, o[7] = x5 >>> 24 & 255, o[8] = x10 >>> 0 & 255, o[9] = x10 >>> 8 & 255, o[10] = x10 >>> 16 & 255, o[11] = x10 >>> 24 & 255, o[12] = x15 >>> 0 & 255, o[13] = x15 >>> 8 & 255, o[14] = x15 >>> 16 & 255, o[15] = x15 >>> 24 & 255, o[16] = x6 >>> 0 & 255, o[17] = x6 >>> 8 & 255, o[18] = x6 >>> 16 & 255, o[19] = x6 >>> 24 & 255, o[20] = x7 >>> 0 & 255, o[21] = x7 >>> 8 & 255, o[22] = x7 >>> 16 & 255, o[23] = x7 >>> 24 & 255, o[24] = x8 >>> 0 & 255, o[25] = x8 >>> 8 & 255, o[26] = x8 >>> 16 & 255, o[27] = x8 >>> 24 & 255, o[28] = x9 >>> 0 & 255, o[29] = x9 >>> 8 & 255, o[30] = x9 >>> 16 & 255, o[31] = x9 >>> 24 & 255;
      }
      function crypto_core_salsa20(out, inp, k, c) {
        core_salsa20(out, inp, k, c);
      }
      function crypto_core_hsalsa20(out, inp, k, c) {
        core_hsalsa20(out, inp, k, c);
      }
      var sigma = new Uint8Array([101, 120, 112, 97, 110, 100, 32, 51, 50, 45, 98, 121, 116, 101, 32, 107]);
      function crypto_stream_salsa20_xor(c, cpos, m, mpos, b, n, k) {
        var z = new Uint8Array(16), x = new Uint8Array(64), u, i;
        for (i = 0; i < 16; i++) z[i] = 0;
        for (i = 0; i < 8; i++) z[i] = n[i];
        for (; b >= 64; ) {
          for (crypto_core_salsa20(x, z, k, sigma), i = 0; i < 64; i++) c[cpos + i] = m[mpos + i] ^ x[i];
          for (u = 1, i = 8; i < 16; i++)
            u = u + (z[i] & 255) | 0, z[i] = u & 255, u >>>= 8;
          b -= 64, cpos += 64, mpos += 64;
        }
        if (b > 0)
          for (crypto_core_salsa20(x, z, k, sigma), i = 0; i < b; i++) c[cpos + i] = m[mpos + i] ^ x[i];
        return 0;
      }
      function crypto_stream_salsa20(c, cpos, b, n, k) {
        var z = new Uint8Array(16), x = new Uint8Array(64), u, i;
        for (i = 0; i < 16; i++) z[i] = 0;
        for (i = 0; i < 8; i++) z[i] = n[i];
        for (; b >= 64; ) {
          for (crypto_core_salsa20(x, z, k, sigma), i = 0; i < 64; i++) c[cpos + i] = x[i];
          for (u = 1, i = 8; i < 16; i++)
            u = u + (z[i] & 255) | 0, z[i] = u & 255, u >>>= 8;
          b -= 64, cpos += 64;
        }
        if (b > 0)
          for (crypto_core_salsa20(x, z, k, sigma), i = 0; i < b; i++) c[cpos + i] = x[i];
        return 0;
      }
      function crypto_stream(c, cpos, d, n, k) {
        var s = new Uint8Array(32);
        crypto_core_hsalsa20(s, n, k, sigma);
        for (var sn = new Uint8Array(8), i = 0; i < 8; i++) sn[i] = n[i + 16];
        return crypto_stream_salsa20(c, cpos, d, sn, s);
      }
      function crypto_stream_xor(c, cpos, m, mpos, d, n, k) {
        var s = new Uint8Array(32);
        crypto_core_hsalsa20(s, n, k, sigma);
        for (var sn = new Uint8Array(8), i = 0; i < 8; i++) sn[i] = n[i + 16];
        return crypto_stream_salsa20_xor(c, cpos, m, mpos, d, sn, s);
      }
      var poly1305 = function(key) {
        this.buffer = new Uint8Array(16), this.r = new Uint16Array(10), this.h = new Uint16Array(10), this.pad = new Uint16Array(8), this.leftover = 0, this.fin = 0;
        var t0, t1, t2, t3, t4, t5, t6, t7;
        t0 = key[0] & 255 | (key[1] & 255) << 8, this.r[0] = t0 & 8191, t1 = key[2] & 255 | (key[3] & 255) << 8, this.r[1] = (t0 >>> 13 | t1 << 3) & 8191, t2 = key[4] & 255 | (key[5] & 255) << 8, this.r[2] = (t1 >>> 10 | t2 << 6) & 7939, t3 = key[6] & 255 | (key[7] & 255) << 8, this.r[3] = (t2 >>> 7 | t3 << 9) & 8191, t4 = key[8] & 255 | (key[9] & 255) << 8, this.r[4] = (t3 >>> 4 | t4 << 12) & 255, this.r[5] = t4 >>> 1 & 8190, t5 = key[10] & 255 | (key[11] & 255) << 8, this.r[6] = (t4 >>> 14 | t5 << 2) & 8191, t6 = key[12] & 255 | (key[13] & 255) << 8, this.r[7] = (t5 >>> 11 | t6 << 5) & 8065, t7 = key[14] & 255 | (key[15] & 255) << 8, this.r[8] = (t6 >>> 8 | t7 << 8) & 8191, this.r[9] = t7 >>> 5 & 127, this.pad[0] = key[16] & 255 | (key[17] & 255) << 8, this.pad[1] = key[18] & 255 | (key[19] & 255) << 8, this.pad[2] = key[20] & 255 | (key[21] & 255) << 8, this.pad[3] = key[22] & 255 | (key[23] & 255) << 8, this.pad[4] = key[24] & 255 | (key[25] & 255) << 8, this.pad[5] = key[26] & 255 | (key[27] & 255) << 8, this.pad[6] = key[28] & 255 | (key[29] & 255) << 8, this.pad[7] = key[30] & 255 | (key[31] & 255) << 8;
      };
      poly1305.prototype.blocks = function(m, mpos, bytes) {
        for (var hibit = this.fin ? 0 : 2048, t0, t1, t2, t3, t4, t5, t6, t7, c, d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, h0 = this.h[0], h1 = this.h[1], h2 = this.h[2], h3 = this.h[3], h4 = this.h[4], h5 = this.h[5], h6 = this.h[6], h7 = this.h[7], h8 = this.h[8], h9 = this.h[9], r0 = this.r[0], r1 = this.r[1], r2 = this.r[2], r3 = this.r[3], r4 = this.r[4], r5 = this.r[5], r6 = this.r[6], r7 = this.r[7], r8 = this.r[8], r9 = this.r[9]; bytes >= 16; )
          t0 = m[mpos + 0] & 255 | (m[mpos + 1] & 255) << 8, h0 += t0 & 8191, t1 = m[mpos + 2] & 255 | (m[mpos + 3] & 255) << 8, h1 += (t0 >>> 13 | t1 << 3) & 8191, t2 = m[mpos + 4] & 255 | (m[mpos + 5] & 255) << 8, h2 += (t1 >>> 10 | t2 << 6) & 8191, t3 = m[mpos + 6] & 255 | (m[mpos + 7] & 255) << 8, h3 += (t2 >>> 7 | t3 << 9) & 8191, t4 = m[mpos + 8] & 255 | (m[mpos + 9] & 255) << 8, h4 += (t3 >>> 4 | t4 << 12) & 8191, h5 += t4 >>> 1 & 8191, t5 = m[mpos + 10] & 255 | (m[mpos + 11] & 255) << 8, h6 += (t4 >>> 14 | t5 << 2) & 8191, t6 = m[mpos + 12] & 255 | (m[mpos + 13] & 255) << 8, h7 += (t5 >>> 11 | t6 << 5) & 8191, t7 = m[mpos + 14] & 255 | (m[mpos + 15] & 255) << 8, h8 += (t6 >>> 8 | t7 << 8) & 8191, h9 += t7 >>> 5 | hibit, c = 0, d0 = c, d0 += h0 * r0, d0 += h1 * (5 * r9), d0 += h2 * (5 * r8), d0 += h3 * (5 * r7), d0 += h4 * (5 * r6), c = d0 >>> 13, d0 &= 8191, d0 += h5 * (5 * r5), d0 += h6 * (5 * r4), d0 += h7 * (5 * r3), d0 += h8 * (5 * r2), d0 += h9 * (5 * r1), c += d0 >>> 13, d0 &= 8191, d1 = c, d1 += h0 * r1, d1 += h1 * r0, d1 += h2 * (5 * r9), d1 += h3 * (5 * r8), d1 += h4 * (5 * r7), c = d1 >>> 13, d1 &= 8191, d1 += h5 * (5 * r6), d1 += h6 * (5 * r5), d1 += h7 * (5 * r4), d1 += h8 * (5 * r3), d1 += h9 * (5 * r2), c += d1 >>> 13, d1 &= 8191, d2 = c, d2 += h0 * r2, d2 += h1 * r1, d2 += h2 * r0, d2 += h3 * (5 * r9), d2 += h4 * (5 * r8), c = d2 >>> 13, d2 &= 8191, d2 += h5 * (5 * r7), d2 += h6 * (5 * r6), d2 += h7 * (5 * r5), d2 += h8 * (5 * r4), d2 += h9 * (5 * r3), c += d2 >>> 13, d2 &= 8191, d3 = c, d3 += h0 * r3, d3 += h1 * r2, d3 += h2 * r1, d3 += h3 * r0, d3 += h4 * (5 * r9), c = d3 >>> 13, d3 &= 8191, d3 += h5 * (5 * r8), d3 += h6 * (5 * r7), d3 += h7 * (5 * r6), d3 += h8 * (5 * r5), d3 += h9 * (5 * r4), c += d3 >>> 13, d3 &= 8191, d4 = c, d4 += h0 * r4, d4 += h1 * r3, d4 += h2 * r2, d4 += h3 * r1, d4 += h4 * r0, c = d4 >>> 13, d4 &= 8191, d4 += h5 * (5 * r9), d4 += h6 * (5 * r8), d4 += h7 * (5 * r7), d4 += h8 * (5 * r6), d4 += h9 * (5 * r5), c += d4 >>> 13, d4 &= 8191, d5 = c, d5 += h0 * r5, d5 += h1 * r4, d5 += h2 * r3, d5 += h3 * r2, d5 += h4 * r1, c = d5 >>> 13, d5 &= 8191, d5 += h5 * r0, d5 += h6 * (5 * r9), d5 += h7 * (5 * r8), d5 += h8 * (5 * r7), d5 += h9 * (5 * r6), c += d5 >>> 13, d5 &= 8191, d6 = c, d6 += h0 * r6, d6 += h1 * r5, d6 += h2 * r4, d6 += h3 * r3, d6 += h4 * r2, c = d6 >>> 13, d6 &= 8191, d6 += h5 * r1, d6 += h6 * r0, d6 += h7 * (5 * r9), d6 += h8 * (5 * r8), d6 += h9 * (5 * r7), c += d6 >>> 13, d6 &= 8191, d7 = c, d7 += h0 * r7, d7 += h1 * r6, d7 += h2 * r5, d7 += h3 * r4, d7 += h4 * r3, c = d7 >>> 13, d7 &= 8191, d7 += h5 * r2, d7 += h6 * r1, d7 += h7 * r0, d7 += h8 * (5 * r9), d7 += h9 * (5 * r8), c += d7 >>> 13, d7 &= 8191, d8 = c, d8 += h0 * r8, d8 += h1 * r7, d8 += h2 * r6, d8 += h3 * r5, d8 += h4 * r4, c = d8 >>> 13, d8 &= 8191, d8 += h5 * r3, d8 += h6 * r2, d8 += h7 * r1, d8 += h8 * r0, d8 += h9 * (5 * r9), c += d8 >>> 13, d8 &= 8191, d9 = c, d9 += h0 * r9, d9 += h1 * r8, d9 += h2 * r7, d9 += h3 * r6, d9 += h4 * r5, c = d9 >>> 13, d9 &= 8191, d9 += h5 * r4, d9 += h6 * r3, d9 += h7 * r2, d9 += h8 * r1, d9 += h9 * r0, c += d9 >>> 13, d9 &= 8191, c = (c << 2) + c | 0, c = c + d0 | 0, d0 = c & 8191, c = c >>> 13, d1 += c, h0 = d0, h1 = d1, h2 = d2, h3 = d3, h4 = d4, h5 = d5, h6 = d6, h7 = d7, h8 = d8, h9 = d9, mpos += 16, bytes -= 16;
        this.h[0] = h0, this.h[1] = h1, this.h[2] = h2, this.h[3] = h3, this.h[4] = h4, this.h[5] = h5, this.h[6] = h6, this.h[7] = h7, this.h[8] = h8, this.h[9] = h9;
      }, poly1305.prototype.finish = function(mac, macpos) {
        var g = new Uint16Array(10), c, mask, f, i;
        if (this.leftover) {
          for (i = this.leftover, this.buffer[i++] = 1; i < 16; i++) this.buffer[i] = 0;
          this.fin = 1, this.blocks(this.buffer, 0, 16);
        }
        for (c = this.h[1] >>> 13, this.h[1] &= 8191, i = 2; i < 10; i++)
          this.h[i] += c, c = this.h[i] >>> 13, this.h[i] &= 8191;
        for (this.h[0] += c * 5, c = this.h[0] >>> 13, this.h[0] &= 8191, this.h[1] += c, c = this.h[1] >>> 13, this.h[1] &= 8191, this.h[2] += c, g[0] = this.h[0] + 5, c = g[0] >>> 13, g[0] &= 8191, i = 1; i < 10; i++)
          g[i] = this.h[i] + c, c = g[i] >>> 13, g[i] &= 8191;
        for (g[9] -= 8192, mask = (c ^ 1) - 1, i = 0; i < 10; i++) g[i] &= mask;
        for (mask = ~mask, i = 0; i < 10; i++) this.h[i] = this.h[i] & mask | g[i];
        for (this.h[0] = (this.h[0] | this.h[1] << 13) & 65535, this.h[1] = (this.h[1] >>> 3 | this.h[2] << 10) & 65535, this.h[2] = (this.h[2] >>> 6 | this.h[3] << 7) & 65535, this.h[3] = (this.h[3] >>> 9 | this.h[4] << 4) & 65535, this.h[4] = (this.h[4] >>> 12 | this.h[5] << 1 | this.h[6] << 14) & 65535, this.h[5] = (this.h[6] >>> 2 | this.h[7] << 11) & 65535, this.h[6] = (this.h[7] >>> 5 | this.h[8] << 8) & 65535, this.h[7] = (this.h[8] >>> 8 | this.h[9] << 5) & 65535, f = this.h[0] + this.pad[0], this.h[0] = f & 65535, i = 1; i < 8; i++)
          f = (this.h[i] + this.pad[i] | 0) + (f >>> 16) | 0, this.h[i] = f & 65535;
        mac[macpos + 0] = this.h[0] >>> 0 & 255, mac[macpos + 1] = this.h[0] >>> 8 & 255, mac[macpos + 2] = this.h[1] >>> 0 & 255, mac[macpos + 3] = this.h[1] >>> 8 & 255, mac[macpos + 4] = this.h[2] >>> 0 & 255, mac[macpos + 5] = this.h[2] >>> 8 & 255, mac[macpos + 6] = this.h[3] >>> 0 & 255, mac[macpos + 7] = this.h[3] >>> 8 & 255, mac[macpos + 8] = this.h[4] >>> 0 & 255, mac[macpos + 9] = this.h[4] >>> 8 & 255, mac[macpos + 10] = this.h[5] >>> 0 & 255, mac[macpos + 11] = this.h[5] >>> 8 & 255, mac[macpos + 12] = this.h[6] >>> 0 & 255, mac[macpos + 13] = this.h[6] >>> 8 & 255, mac[macpos + 14] = this.h[7] >>> 0 & 255, mac[macpos + 15] = this.h[7] >>> 8 & 255;
      }, poly1305.prototype.update = function(m, mpos, bytes) {
        var i, want;
        if (this.leftover) {
          for (want = 16 - this.leftover, want > bytes && (want = bytes), i = 0; i < want; i++)
            this.buffer[this.leftover + i] = m[mpos + i];
          if (bytes -= want, mpos += want, this.leftover += want, this.leftover < 16)
            return;
          this.blocks(this.buffer, 0, 16), this.leftover = 0;
        }
        if (bytes >= 16 && (want = bytes - bytes % 16, this.blocks(m, mpos, want), mpos += want, bytes -= want), bytes) {
          for (i = 0; i < bytes; i++)
            this.buffer[this.leftover + i] = m[mpos + i];
          this.leftover += bytes;
        }
      };
      function crypto_onetimeauth(out, outpos, m, mpos, n, k) {
        var s = new poly1305(k);
        return s.update(m, mpos, n), s.finish(out, outpos), 0;
      }
      function crypto_onetimeauth_verify(h, hpos, m, mpos, n, k) {
        var x = new Uint8Array(16);
        return crypto_onetimeauth(x, 0, m, mpos, n, k), crypto_verify_16(h, hpos, x, 0);
      }
      function crypto_secretbox(c, m, d, n, k) {
        var i;
        if (d < 32) return -1;
        for (crypto_stream_xor(c, 0, m, 0, d, n, k), crypto_onetimeauth(c, 16, c, 32, d - 32, c), i = 0; i < 16; i++) c[i] = 0;
        return 0;
      }
      function crypto_secretbox_open(m, c, d, n, k) {
        var i, x = new Uint8Array(32);
        if (d < 32 || (crypto_stream(x, 0, 32, n, k), crypto_onetimeauth_verify(c, 16, c, 32, d - 32, x) !== 0)) return -1;
        for (crypto_stream_xor(m, 0, c, 0, d, n, k), i = 0; i < 32; i++) m[i] = 0;
        return 0;
      }
      function set25519(r, a) {
        var i;
        for (i = 0; i < 16; i++) r[i] = a[i] | 0;
      }
      function car25519(o) {
        var i, v, c = 1;
        for (i = 0; i < 16; i++)
          v = o[i] + c + 65535, c = Math.floor(v / 65536), o[i] = v - c * 65536;
        o[0] += c - 1 + 37 * (c - 1);
      }
      function sel25519(p, q, b) {
        for (var t, c = ~(b - 1), i = 0; i < 16; i++)
          t = c & (p[i] ^ q[i]), p[i] ^= t, q[i] ^= t;
      }
      function pack25519(o, n) {
        var i, j, b, m = gf(), t = gf();
        for (i = 0; i < 16; i++) t[i] = n[i];
        for (car25519(t), car25519(t), car25519(t), j = 0; j < 2; j++) {
          for (m[0] = t[0] - 65517, i = 1; i < 15; i++)
            m[i] = t[i] - 65535 - (m[i - 1] >> 16 & 1), m[i - 1] &= 65535;
          m[15] = t[15] - 32767 - (m[14] >> 16 & 1), b = m[15] >> 16 & 1, m[14] &= 65535, sel25519(t, m, 1 - b);
        }
        for (i = 0; i < 16; i++)
          o[2 * i] = t[i] & 255, o[2 * i + 1] = t[i] >> 8;
      }
      function neq25519(a, b) {
        var c = new Uint8Array(32), d = new Uint8Array(32);
        return pack25519(c, a), pack25519(d, b), crypto_verify_32(c, 0, d, 0);
      }
      function par25519(a) {
        var d = new Uint8Array(32);
        return pack25519(d, a), d[0] & 1;
      }
      function unpack25519(o, n) {
        var i;
        for (i = 0; i < 16; i++) o[i] = n[2 * i] + (n[2 * i + 1] << 8);
        o[15] &= 32767;
      }
      function A(o, a, b) {
        for (var i = 0; i < 16; i++) o[i] = a[i] + b[i];
      }
      function Z(o, a, b) {
        for (var i = 0; i < 16; i++) o[i] = a[i] - b[i];
      }
      function M(o, a, b) {
        var v, c, t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0, t8 = 0, t9 = 0, t10 = 0, t11 = 0, t12 = 0, t13 = 0, t14 = 0, t15 = 0, t16 = 0, t17 = 0, t18 = 0, t19 = 0, t20 = 0, t21 = 0, t22 = 0, t23 = 0, t24 = 0, t25 = 0, t26 = 0, t27 = 0, t28 = 0, t29 = 0, t30 = 0, b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6], b7 = b[7], b8 = b[8], b9 = b[9], b10 = b[10], b11 = b[11], b12 = b[12], b13 = b[13], b14 = b[14], b15 = b[15];
        v = a[0], t0 += v * b0, t1 += v * b1, t2 += v * b2, t3 += v * b3, t4 += v * b4, t5 += v * b5, t6 += v * b6, t7 += v * b7, t8 += v * b8, t9 += v * b9, t10 += v * b10, t11 += v * b11, t12 += v * b12, t13 += v * b13, t14 += v * b14, t15 += v * b15, v = a[1], t1 += v * b0, t2 += v * b1, t3 += v * b2, t4 += v * b3, t5 += v * b4, t6 += v * b5, t7 += v * b6, t8 += v * b7, t9 += v * b8, t10 += v * b9, t11 += v * b10, t12 += v * b11, t13 += v * b12, t14 += v * b13, t15 += v * b14, t16 += v * b15, v = a[2], t2 += v * b0, t3 += v * b1, t4 += v * b2, t5 += v * b3, t6 += v * b4, t7 += v * b5, t8 += v * b6, t9 += v * b7, t10 += v * b8, t11 += v * b9, t12 += v * b10, t13 += v * b11, t14 += v * b12, t15 += v * b13, t16 += v * b14, t17 += v * b15, v = a[3], t3 += v * b0, t4 += v * b1, t5 += v * b2, t6 += v * b3, t7 += v * b4, t8 += v * b5, t9 += v * b6, t10 += v * b7, t11 += v * b8, t12 += v * b9, t13 += v * b10, t14 += v * b11, t15 += v * b12, t16 += v * b13, t17 += v * b14, t18 += v * b15, v = a[4], t4 += v * b0, t5 += v * b1, t6 += v * b2, t7 += v * b3, t8 += v * b4, t9 += v * b5, t10 += v * b6, t11 += v * b7, t12 += v * b8, t13 += v * b9, t14 += v * b10, t15 += v * b11, t16 += v * b12, t17 += v * b13, t18 += v * b14, t19 += v * b15, v = a[5], t5 += v * b0, t6 += v * b1, t7 += v * b2, t8 += v * b3, t9 += v * b4, t10 += v * b5, t11 += v * b6, t12 += v * b7, t13 += v * b8, t14 += v * b9, t15 += v * b10, t16 += v * b11, t17 += v * b12, t18 += v * b13, t19 += v * b14, t20 += v * b15, v = a[6], t6 += v * b0, t7 += v * b1, t8 += v * b2, t9 += v * b3, t10 += v * b4, t11 += v * b5, t12 += v * b6, t13 += v * b7, t14 += v * b8, t15 += v * b9, t16 += v * b10, t17 += v * b11, t18 += v * b12, t19 += v * b13, t20 += v * b14, t21 += v * b15, v = a[7], t7 += v * b0, t8 += v * b1, t9 += v * b2, t10 += v * b3, t11 += v * b4, t12 += v * b5, t13 += v * b6, t14 += v * b7, t15 += v * b8, t16 += v * b9, t17 += v * b10, t18 += v * b11, t19 += v * b12, t20 += v * b13, t21 += v * b14, t22 += v * b15, v = a[8], t8 += v * b0, t9 += v * b1, t10 += v * b2, t11 += v * b3, t12 += v * b4, t13 += v * b5, t14 += v * b6, t15 += v * b7, t16 += v * b8, t17 += v * b9, t18 += v * b10, t19 += v * b11, t20 += v * b12, t21 += v * b13, t22 += v * b14, t23 += v * b15, v = a[9], t9 += v * b0, t10 += v * b1, t11 += v * b2, t12 += v * b3, t13 += v * b4, t14 += v * b5, t15 += v * b6, t16 += v * b7, t17 += v * b8, t18 += v * b9, t19 += v * b10, t20 += v * b11, t21 += v * b12, t22 += v * b13, t23 += v * b14, t24 += v * b15, v = a[10], t10 += v * b0, t11 += v * b1, t12 += v * b2, t13 += v * b3, t14 += v * b4, t15 += v * b5, t16 += v * b6, t17 += v * b7, t18 += v * b8, t19 += v * b9, t20 += v * b10, t21 += v * b11, t22 += v * b12, t23 += v * b13, t24 += v * b14, t25 += v * b15, v = a[11], t11 += v * b0, t12 += v * b1, t13 += v * b2, t14 += v * b3, t15 += v * b4, t16 += v * b5, t17 += v * b6, t18 += v * b7, t19 += v * b8, t20 += v * b9, t21 += v * b10, t22 += v * b11, t23 += v * b12, t24 += v * b13, t25 += v * b14, t26 += v * b15, v = a[12], t12 += v * b0, t13 += v * b1, t14 += v * b2, t15 += v * b3, t16 += v * b4, t17 += v * b5, t18 += v * b6, t19 += v * b7, t20 += v * b8, t21 += v * b9, t22 += v * b10, t23 += v * b11, t24 += v * b12, t25 += v * b13, t26 += v * b14, t27 += v * b15, v = a[13], t13 += v * b0, t14 += v * b1, t15 += v * b2, t16 += v * b3, t17 += v * b4, t18 += v * b5, t19 += v * b6, t20 += v * b7, t21 += v * b8, t22 += v * b9, t23 += v * b10, t24 += v * b11, t25 += v * b12, t26 += v * b13, t27 += v * b14, t28 += v * b15, v = a[14], t14 += v * b0, t15 += v * b1, t16 += v * b2, t17 += v * b3, t18 += v * b4, t19 += v * b5, t20 += v * b6, t21 += v * b7, t22 += v * b8, t23 += v * b9, t24 += v * b10, t25 += v * b11, t26 += v * b12, t27 += v * b13, t28 += v * b14, t29 += v * b15, v = a[15], t15 += v * b0, t16 += v * b1, t17 += v * b2, t18 += v * b3, t19 += v * b4, t20 += v * b5, t21 += v * b6, t22 += v * b7, t23 += v * b8, t24 += v * b9, t25 += v * b10, t26 += v * b11, t27 += v * b12, t28 += v * b13, t29 += v * b14, t30 += v * b15, t0 += 38 * t16, t1 += 38 * t17, t2 += 38 * t18, t3 += 38 * t19, t4 += 38 * t20, t5 += 38 * t21, t6 += 38 * t22, t7 += 38 * t23, t8 += 38 * t24, t9 += 38 * t25, t10 += 38 * t26, t11 += 38 * t27, t12 += 38 * t28, t13 += 38 * t29, t14 += 38 * t30, c = 1, v = t0 + c + 65535, c = Math.floor(v / 65536), t0 = v - c * 65536, v = t1 + c + 65535, c = Math.floor(v / 65536), t1 = v - c * 65536, v = t2 + c + 65535, c = Math.floor(v / 65536), t2 = v - c * 65536, v = t3 + c + 65535, c = Math.floor(v / 65536), t3 = v - c * 65536, v = t4 + c + 65535, c = Math.floor(v / 65536), t4 = v - c * 65536, v = t5 + c + 65535, c = Math.floor(v / 65536), t5 = v - c * 65536, v = t6 + c + 65535, c = Math.floor(v / 65536), t6 = v - c * 65536, v = t7 + c + 65535, c = Math.floor(v / 65536), t7 = v - c * 65536, v = t8 + c + 65535, c = Math.floor(v / 65536), t8 = v - c * 65536, v = t9 + c + 65535, c = Math.floor(v / 65536), t9 = v - c * 65536, v = t10 + c + 65535, c = Math.floor(v / 65536), t10 = v - c * 65536, v = t11 + c + 65535, c = Math.floor(v / 65536), t11 = v - c * 65536, v = t12 + c + 65535, c = Math.floor(v / 65536), t12 = v - c * 65536, v = t13 + c + 65535, c = Math.floor(v / 65536), t13 = v - c * 65536, v = t14 + c + 65535, c = Math.floor(v / 65536), t14 = v - c * 65536, v = t15 + c + 65535, c = Math.floor(v / 65536), t15 = v - c * 65536, t0 += c - 1 + 37 * (c - 1), c = 1, v = t0 + c + 65535, c = Math.floor(v / 65536), t0 = v - c * 65536, v = t1 + c + 65535, c = Math.floor(v / 65536), t1 = v - c * 65536, v = t2 + c + 65535, c = Math.floor(v / 65536), t2 = v - c * 65536, v = t3 + c + 65535, c = Math.floor(v / 65536), t3 = v - c * 65536, v = t4 + c + 65535, c = Math.floor(v / 65536), t4 = v - c * 65536, v = t5 + c + 65535, c = Math.floor(v / 65536), t5 = v - c * 65536, v = t6 + c + 65535, c = Math.floor(v / 65536), t6 = v - c * 65536, v = t7 + c + 65535, c = Math.floor(v / 65536), t7 = v - c * 65536, v = t8 + c + 65535, c = Math.floor(v / 65536), t8 = v - c * 65536, v = t9 + c + 65535, c = Math.floor(v / 65536), t9 = v - c * 65536, v = t10 + c + 65535, c = Math.floor(v / 65536), t10 = v - c * 65536, v = t11 + c + 65535, c = Math.floor(v / 65536), t11 = v - c * 65536, v = t12 + c + 65535, c = Math.floor(v / 65536), t12 = v - c * 65536, v = t13 + c + 65535, c = Math.floor(v / 65536), t13 = v - c * 65536, v = t14 + c + 65535, c = Math.floor(v / 65536), t14 = v - c * 65536, v = t15 + c + 65535, c = Math.floor(v / 65536), t15 = v - c * 65536, t0 += c - 1 + 37 * (c - 1), o[0] = t0, o[1] = t1, o[2] = t2, o[3] = t3, o[4] = t4, o[5] = t5, o[6] = t6, o[7] = t7, o[8] = t8, o[9] = t9, o[10] = t10, o[11] = t11, o[12] = t12, o[13] = t13, o[14] = t14, o[15] = t15;
      }
      function S(o, a) {
        M(o, a, a);
      }
      function inv25519(o, i) {
        var c = gf(), a;
        for (a = 0; a < 16; a++) c[a] = i[a];
        for (a = 253; a >= 0; a--)
          S(c, c), a !== 2 && a !== 4 && M(c, c, i);
        for (a = 0; a < 16; a++) o[a] = c[a];
      }
      function pow2523(o, i) {
        var c = gf(), a;
        for (a = 0; a < 16; a++) c[a] = i[a];
        for (a = 250; a >= 0; a--)
          S(c, c), a !== 1 && M(c, c, i);
        for (a = 0; a < 16; a++) o[a] = c[a];
      }
      function crypto_scalarmult(q, n, p) {
        var z = new Uint8Array(32), x = new Float64Array(80), r, i, a = gf(), b = gf(), c = gf(), d = gf(), e = gf(), f = gf();
        for (i = 0; i < 31; i++) z[i] = n[i];
        for (z[31] = n[31] & 127 | 64, z[0] &= 248, unpack25519(x, p), i = 0; i < 16; i++)
          b[i] = x[i], d[i] = a[i] = c[i] = 0;
        for (a[0] = d[0] = 1, i = 254; i >= 0; --i)
          r = z[i >>> 3] >>> (i & 7) & 1, sel25519(a, b, r), sel25519(c, d, r), A(e, a, c), Z(a, a, c), A(c, b, d), Z(b, b, d), S(d, e), S(f, a), M(a, c, a), M(c, b, e), A(e, a, c), Z(a, a, c), S(b, a), Z(c, d, f), M(a, c, _121665), A(a, a, d), M(c, c, a), M(a, d, f), M(d, b, x), S(b, e), sel25519(a, b, r), sel25519(c, d, r);
        for (i = 0; i < 16; i++)
          x[i + 16] = a[i], x[i + 32] = c[i], x[i + 48] = b[i], x[i + 64] = d[i];
        var x32 = x.subarray(32), x16 = x.subarray(16);
        return inv25519(x32, x32), M(x16, x16, x32), pack25519(q, x16), 0;
      }
      function crypto_scalarmult_base(q, n) {
        return crypto_scalarmult(q, n, _9);
      }
      function crypto_box_keypair(y, x) {
        return randombytes(x, 32), crypto_scalarmult_base(y, x);
      }
      function crypto_box_beforenm(k, y, x) {
        var s = new Uint8Array(32);
        return crypto_scalarmult(s, x, y), crypto_core_hsalsa20(k, _0, s, sigma);
      }
      var crypto_box_afternm = crypto_secretbox, crypto_box_open_afternm = crypto_secretbox_open;
      function crypto_box(c, m, d, n, y, x) {
        var k = new Uint8Array(32);
        return crypto_box_beforenm(k, y, x), crypto_box_afternm(c, m, d, n, k);
      }
      function crypto_box_open(m, c, d, n, y, x) {
        var k = new Uint8Array(32);
        return crypto_box_beforenm(k, y, x), crypto_box_open_afternm(m, c, d, n, k);
      }
      var K = [
        1116352408,
        3609767458,
        1899447441,
        602891725,
        3049323471,
        3964484399,
        3921009573,
        2173295548,
        961987163,
        4081628472,
        1508970993,
        3053834265,
        2453635748,
        2937671579,
        2870763221,
        3664609560,
        3624381080,
        2734883394,
        310598401,
        1164996542,
        607225278,
        1323610764,
        1426881987,
        3590304994,
        1925078388,
        4068182383,
        2162078206,
        991336113,
        2614888103,
        633803317,
        3248222580,
        3479774868,
        3835390401,
        2666613458,
        4022224774,
        944711139,
        264347078,
        2341262773,
        604807628,
        2007800933,
        770255983,
        1495990901,
        1249150122,
        1856431235,
        1555081692,
        3175218132,
        1996064986,
        2198950837,
        2554220882,
        3999719339,
        2821834349,
        766784016,
        2952996808,
        2566594879,
        3210313671,
        3203337956,
        3336571891,
        1034457026,
        3584528711,
        2466948901,
        113926993,
        3758326383,
        338241895,
        168717936,
        666307205,
        1188179964,
        773529912,
        1546045734,
        1294757372,
        1522805485,
        1396182291,
        2643833823,
        1695183700,
        2343527390,
        1986661051,
        1014477480,
        2177026350,
        1206759142,
        2456956037,
        344077627,
        2730485921,
        1290863460,
        2820302411,
        3158454273,
        3259730800,
        3505952657,
        3345764771,
        106217008,
        3516065817,
        3606008344,
        3600352804,
        1432725776,
        4094571909,
        1467031594,
        275423344,
        851169720,
        430227734,
        3100823752,
        506948616,
        1363258195,
        659060556,
        3750685593,
        883997877,
        3785050280,
        958139571,
        3318307427,
        1322822218,
        3812723403,
        1537002063,
        2003034995,
        1747873779,
        3602036899,
        1955562222,
        1575990012,
        2024104815,
        1125592928,
        2227730452,
        2716904306,
        2361852424,
        442776044,
        2428436474,
        593698344,
        2756734187,
        3733110249,
        3204031479,
        2999351573,
        3329325298,
        3815920427,
        3391569614,
        3928383900,
        3515267271,
        566280711,
        3940187606,
        3454069534,
        4118630271,
        4000239992,
        116418474,
        1914138554,
        174292421,
        2731055270,
        289380356,
        3203993006,
        460393269,
        320620315,
        685471733,
        587496836,
        852142971,
        1086792851,
        1017036298,
        365543100,
        1126000580,
        2618297676,
        1288033470,
        3409855158,
        1501505948,
        4234509866,
        1607167915,
        987167468,
        1816402316,
        1246189591
      ];
      function crypto_hashblocks_hl(hh, hl, m, n) {
        for (var wh = new Int32Array(16), wl = new Int32Array(16), bh0, bh1, bh2, bh3, bh4, bh5, bh6, bh7, bl0, bl1, bl2, bl3, bl4, bl5, bl6, bl7, th, tl, i, j, h, l, a, b, c, d, ah0 = hh[0], ah1 = hh[1], ah2 = hh[2], ah3 = hh[3], ah4 = hh[4], ah5 = hh[5], ah6 = hh[6], ah7 = hh[7], al0 = hl[0], al1 = hl[1], al2 = hl[2], al3 = hl[3], al4 = hl[4], al5 = hl[5], al6 = hl[6], al7 = hl[7], pos = 0; n >= 128; ) {
          for (i = 0; i < 16; i++)
            j = 8 * i + pos, wh[i] = m[j + 0] << 24 | m[j + 1] << 16 | m[j + 2] << 8 | m[j + 3], wl[i] = m[j + 4] << 24 | m[j + 5] << 16 | m[j + 6] << 8 | m[j + 7];
          for (i = 0; i < 80; i++)
            if (bh0 = ah0, bh1 = ah1, bh2 = ah2, bh3 = ah3, bh4 = ah4, bh5 = ah5, bh6 = ah6, bh7 = ah7, bl0 = al0, bl1 = al1, bl2 = al2, bl3 = al3, bl4 = al4, bl5 = al5, bl6 = al6, bl7 = al7, h = ah7, l = al7, a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = (ah4 >>> 14 | al4 << 18) ^ (ah4 >>> 18 | al4 << 14) ^ (al4 >>> 9 | ah4 << 23), l = (al4 >>> 14 | ah4 << 18) ^ (al4 >>> 18 | ah4 << 14) ^ (ah4 >>> 9 | al4 << 23), a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, h = ah4 & ah5 ^ ~ah4 & ah6, l = al4 & al5 ^ ~al4 & al6, a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, h = K[i * 2], l = K[i * 2 + 1], a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, h = wh[i % 16], l = wl[i % 16], a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, th = c & 65535 | d << 16, tl = a & 65535 | b << 16, h = th, l = tl, a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = (ah0 >>> 28 | al0 << 4) ^ (al0 >>> 2 | ah0 << 30) ^ (al0 >>> 7 | ah0 << 25), l = (al0 >>> 28 | ah0 << 4) ^ (ah0 >>> 2 | al0 << 30) ^ (ah0 >>> 7 | al0 << 25), a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, h = ah0 & ah1 ^ ah0 & ah2 ^ ah1 & ah2, l = al0 & al1 ^ al0 & al2 ^ al1 & al2, a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, bh7 = c & 65535 | d << 16, bl7 = a & 65535 | b << 16, h = bh3, l = bl3, a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = th, l = tl, a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, bh3 = c & 65535 | d << 16, bl3 = a & 65535 | b << 16, ah1 = bh0, ah2 = bh1, ah3 = bh2, ah4 = bh3, ah5 = bh4, ah6 = bh5, ah7 = bh6, ah0 = bh7, al1 = bl0, al2 = bl1, al3 = bl2, al4 = bl3, al5 = bl4, al6 = bl5, al7 = bl6, al0 = bl7, i % 16 === 15)
              for (j = 0; j < 16; j++)
                h = wh[j], l = wl[j], a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = wh[(j + 9) % 16], l = wl[(j + 9) % 16], a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, th = wh[(j + 1) % 16], tl = wl[(j + 1) % 16], h = (th >>> 1 | tl << 31) ^ (th >>> 8 | tl << 24) ^ th >>> 7, l = (tl >>> 1 | th << 31) ^ (tl >>> 8 | th << 24) ^ (tl >>> 7 | th << 25), a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, th = wh[(j + 14) % 16], tl = wl[(j + 14) % 16], h = (th >>> 19 | tl << 13) ^ (tl >>> 29 | th << 3) ^ th >>> 6, l = (tl >>> 19 | th << 13) ^ (th >>> 29 | tl << 3) ^ (tl >>> 6 | th << 26), a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, wh[j] = c & 65535 | d << 16, wl[j] = a & 65535 | b << 16;
          h = ah0, l = al0, a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = hh[0], l = hl[0], a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, hh[0] = ah0 = c & 65535 | d << 16, hl[0] = al0 = a & 65535 | b << 16, h = ah1, l = al1, a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = hh[1], l = hl[1], a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, hh[1] = ah1 = c & 65535 | d << 16, hl[1] = al1 = a & 65535 | b << 16, h = ah2, l = al2, a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = hh[2], l = hl[2], a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, hh[2] = ah2 = c & 65535 | d << 16, hl[2] = al2 = a & 65535 | b << 16, h = ah3, l = al3, a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = hh[3], l = hl[3], a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, hh[3] = ah3 = c & 65535 | d << 16, hl[3] = al3 = a & 65535 | b << 16, h = ah4, l = al4, a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = hh[4], l = hl[4], a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, hh[4] = ah4 = c & 65535 | d << 16, hl[4] = al4 = a & 65535 | b << 16, h = ah5, l = al5, a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = hh[5], l = hl[5], a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, hh[5] = ah5 = c & 65535 | d << 16, hl[5] = al5 = a & 65535 | b << 16, h = ah6, l = al6, a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = hh[6], l = hl[6], a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, hh[6] = ah6 = c & 65535 | d << 16, hl[6] = al6 = a & 65535 | b << 16, h = ah7, l = al7, a = l & 65535, b = l >>> 16, c = h & 65535, d = h >>> 16, h = hh[7], l = hl[7], a += l & 65535, b += l >>> 16, c += h & 65535, d += h >>> 16, b += a >>> 16, c += b >>> 16, d += c >>> 16, hh[7] = ah7 = c & 65535 | d << 16, hl[7] = al7 = a & 65535 | b << 16, pos += 128, n -= 128;
        }
        return n;
      }
      function crypto_hash(out, m, n) {
        var hh = new Int32Array(8), hl = new Int32Array(8), x = new Uint8Array(256), i, b = n;
        for (hh[0] = 1779033703, hh[1] = 3144134277, hh[2] = 1013904242, hh[3] = 2773480762, hh[4] = 1359893119, hh[5] = 2600822924, hh[6] = 528734635, hh[7] = 1541459225, hl[0] = 4089235720, hl[1] = 2227873595, hl[2] = 4271175723, hl[3] = 1595750129, hl[4] = 2917565137, hl[5] = 725511199, hl[6] = 4215389547, hl[7] = 327033209, crypto_hashblocks_hl(hh, hl, m, n), n %= 128, i = 0; i < n; i++) x[i] = m[b - n + i];
        for (x[n] = 128, n = 256 - 128 * (n < 112 ? 1 : 0), x[n - 9] = 0, ts64(x, n - 8, b / 536870912 | 0, b << 3), crypto_hashblocks_hl(hh, hl, x, n), i = 0; i < 8; i++) ts64(out, 8 * i, hh[i], hl[i]);
        return 0;
      }
      function add(p, q) {
        var a = gf(), b = gf(), c = gf(), d = gf(), e = gf(), f = gf(), g = gf(), h = gf(), t = gf();
        Z(a, p[1], p[0]), Z(t, q[1], q[0]), M(a, a, t), A(b, p[0], p[1]), A(t, q[0], q[1]), M(b, b, t), M(c, p[3], q[3]), M(c, c, D2), M(d, p[2], q[2]), A(d, d, d), Z(e, b, a), Z(f, d, c), A(g, d, c), A(h, b, a), M(p[0], e, f), M(p[1], h, g), M(p[2], g, f), M(p[3], e, h);
      }
      function cswap(p, q, b) {
        var i;
        for (i = 0; i < 4; i++)
          sel25519(p[i], q[i], b);
      }
      function pack(r, p) {
        var tx = gf(), ty = gf(), zi = gf();
        inv25519(zi, p[2]), M(tx, p[0], zi), M(ty, p[1], zi), pack25519(r, ty), r[31] ^= par25519(tx) << 7;
      }
      function scalarmult(p, q, s) {
        var b, i;
        for (set25519(p[0], gf0), set25519(p[1], gf1), set25519(p[2], gf1), set25519(p[3], gf0), i = 255; i >= 0; --i)
          b = s[i / 8 | 0] >> (i & 7) & 1, cswap(p, q, b), add(q, p), add(p, p), cswap(p, q, b);
      }
      function scalarbase(p, s) {
        var q = [gf(), gf(), gf(), gf()];
        set25519(q[0], X), set25519(q[1], Y), set25519(q[2], gf1), M(q[3], X, Y), scalarmult(p, q, s);
      }
      function crypto_sign_keypair(pk, sk, seeded) {
        var d = new Uint8Array(64), p = [gf(), gf(), gf(), gf()], i;
        for (seeded || randombytes(sk, 32), crypto_hash(d, sk, 32), d[0] &= 248, d[31] &= 127, d[31] |= 64, scalarbase(p, d), pack(pk, p), i = 0; i < 32; i++) sk[i + 32] = pk[i];
        return 0;
      }
      var L = new Float64Array([237, 211, 245, 92, 26, 99, 18, 88, 214, 156, 247, 162, 222, 249, 222, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16]);
      function modL(r, x) {
        var carry, i, j, k;
        for (i = 63; i >= 32; --i) {
          for (carry = 0, j = i - 32, k = i - 12; j < k; ++j)
            x[j] += carry - 16 * x[i] * L[j - (i - 32)], carry = x[j] + 128 >> 8, x[j] -= carry * 256;
          x[j] += carry, x[i] = 0;
        }
        for (carry = 0, j = 0; j < 32; j++)
          x[j] += carry - (x[31] >> 4) * L[j], carry = x[j] >> 8, x[j] &= 255;
        for (j = 0; j < 32; j++) x[j] -= carry * L[j];
        for (i = 0; i < 32; i++)
          x[i + 1] += x[i] >> 8, r[i] = x[i] & 255;
      }
      function reduce(r) {
        var x = new Float64Array(64), i;
        for (i = 0; i < 64; i++) x[i] = r[i];
        for (i = 0; i < 64; i++) r[i] = 0;
        modL(r, x);
      }
      function crypto_sign(sm, m, n, sk) {
        var d = new Uint8Array(64), h = new Uint8Array(64), r = new Uint8Array(64), i, j, x = new Float64Array(64), p = [gf(), gf(), gf(), gf()];
        crypto_hash(d, sk, 32), d[0] &= 248, d[31] &= 127, d[31] |= 64;
        var smlen = n + 64;
        for (i = 0; i < n; i++) sm[64 + i] = m[i];
        for (i = 0; i < 32; i++) sm[32 + i] = d[32 + i];
        for (crypto_hash(r, sm.subarray(32), n + 32), reduce(r), scalarbase(p, r), pack(sm, p), i = 32; i < 64; i++) sm[i] = sk[i];
        for (crypto_hash(h, sm, n + 64), reduce(h), i = 0; i < 64; i++) x[i] = 0;
        for (i = 0; i < 32; i++) x[i] = r[i];
        for (i = 0; i < 32; i++)
          for (j = 0; j < 32; j++)
            x[i + j] += h[i] * d[j];
        return modL(sm.subarray(32), x), smlen;
      }
      function unpackneg(r, p) {
        var t = gf(), chk = gf(), num = gf(), den = gf(), den2 = gf(), den4 = gf(), den6 = gf();
        return set25519(r[2], gf1), unpack25519(r[1], p), S(num, r[1]), M(den, num, D), Z(num, num, r[2]), A(den, r[2], den), S(den2, den), S(den4, den2), M(den6, den4, den2), M(t, den6, num), M(t, t, den), pow2523(t, t), M(t, t, num), M(t, t, den), M(t, t, den), M(r[0], t, den), S(chk, r[0]), M(chk, chk, den), neq25519(chk, num) && M(r[0], r[0], I), S(chk, r[0]), M(chk, chk, den), neq25519(chk, num) ? -1 : (par25519(r[0]) === p[31] >> 7 && Z(r[0], gf0, r[0]), M(r[3], r[0], r[1]), 0);
      }
      function crypto_sign_open(m, sm, n, pk) {
        var i, mlen, t = new Uint8Array(32), h = new Uint8Array(64), p = [gf(), gf(), gf(), gf()], q = [gf(), gf(), gf(), gf()];
        if (mlen = -1, n < 64 || unpackneg(q, pk)) return -1;
        for (i = 0; i < n; i++) m[i] = sm[i];
        for (i = 0; i < 32; i++) m[i + 32] = pk[i];
        if (crypto_hash(h, m, n), reduce(h), scalarmult(p, q, h), scalarbase(q, sm.subarray(32)), add(p, q), pack(t, p), n -= 64, crypto_verify_32(sm, 0, t, 0)) {
          for (i = 0; i < n; i++) m[i] = 0;
          return -1;
        }
        for (i = 0; i < n; i++) m[i] = sm[i + 64];
        return mlen = n, mlen;
      }
      var crypto_secretbox_KEYBYTES = 32, crypto_secretbox_NONCEBYTES = 24, crypto_secretbox_ZEROBYTES = 32, crypto_secretbox_BOXZEROBYTES = 16, crypto_scalarmult_BYTES = 32, crypto_scalarmult_SCALARBYTES = 32, crypto_box_PUBLICKEYBYTES = 32, crypto_box_SECRETKEYBYTES = 32, crypto_box_BEFORENMBYTES = 32, crypto_box_NONCEBYTES = crypto_secretbox_NONCEBYTES, crypto_box_ZEROBYTES = crypto_secretbox_ZEROBYTES, crypto_box_BOXZEROBYTES = crypto_secretbox_BOXZEROBYTES, crypto_sign_BYTES = 64, crypto_sign_PUBLICKEYBYTES = 32, crypto_sign_SECRETKEYBYTES = 64, crypto_sign_SEEDBYTES = 32, crypto_hash_BYTES = 64;
      nacl.lowlevel = {
        crypto_core_hsalsa20,
        crypto_stream_xor,
        crypto_stream,
        crypto_stream_salsa20_xor,
        crypto_stream_salsa20,
        crypto_onetimeauth,
        crypto_onetimeauth_verify,
        crypto_verify_16,
        crypto_verify_32,
        crypto_secretbox,
        crypto_secretbox_open,
        crypto_scalarmult,
        crypto_scalarmult_base,
        crypto_box_beforenm,
        crypto_box_afternm,
        crypto_box,
        crypto_box_open,
        crypto_box_keypair,
        crypto_hash,
        crypto_sign,
        crypto_sign_keypair,
        crypto_sign_open,
        crypto_secretbox_KEYBYTES,
        crypto_secretbox_NONCEBYTES,
        crypto_secretbox_ZEROBYTES,
        crypto_secretbox_BOXZEROBYTES,
        crypto_scalarmult_BYTES,
        crypto_scalarmult_SCALARBYTES,
        crypto_box_PUBLICKEYBYTES,
        crypto_box_SECRETKEYBYTES,
        crypto_box_BEFORENMBYTES,
        crypto_box_NONCEBYTES,
        crypto_box_ZEROBYTES,
        crypto_box_BOXZEROBYTES,
        crypto_sign_BYTES,
        crypto_sign_PUBLICKEYBYTES,
        crypto_sign_SECRETKEYBYTES,
        crypto_sign_SEEDBYTES,
        crypto_hash_BYTES
      };
      function checkLengths(k, n) {
        if (k.length !== crypto_secretbox_KEYBYTES) throw new Error("bad key size");
        if (n.length !== crypto_secretbox_NONCEBYTES) throw new Error("bad nonce size");
      }
      function checkBoxLengths(pk, sk) {
        if (pk.length !== crypto_box_PUBLICKEYBYTES) throw new Error("bad public key size");
        if (sk.length !== crypto_box_SECRETKEYBYTES) throw new Error("bad secret key size");
      }
      function checkArrayTypes() {
        var t, i;
        for (i = 0; i < arguments.length; i++)
          if ((t = Object.prototype.toString.call(arguments[i])) !== "[object Uint8Array]")
            throw new TypeError("unexpected type " + t + ", use Uint8Array");
      }
      function cleanup(arr) {
        for (var i = 0; i < arr.length; i++) arr[i] = 0;
      }
      nacl.util || (nacl.util = {}, nacl.util.decodeUTF8 = nacl.util.encodeUTF8 = nacl.util.encodeBase64 = nacl.util.decodeBase64 = function() {
        throw new Error("nacl.util moved into separate package: https://github.com/dchest/tweetnacl-util-js");
      }), nacl.randomBytes = function(n) {
        var b = new Uint8Array(n);
        return randombytes(b, n), b;
      }, nacl.secretbox = function(msg, nonce, key) {
        checkArrayTypes(msg, nonce, key), checkLengths(key, nonce);
        for (var m = new Uint8Array(crypto_secretbox_ZEROBYTES + msg.length), c = new Uint8Array(m.length), i = 0; i < msg.length; i++) m[i + crypto_secretbox_ZEROBYTES] = msg[i];
        return crypto_secretbox(c, m, m.length, nonce, key), c.subarray(crypto_secretbox_BOXZEROBYTES);
      }, nacl.secretbox.open = function(box, nonce, key) {
        checkArrayTypes(box, nonce, key), checkLengths(key, nonce);
        for (var c = new Uint8Array(crypto_secretbox_BOXZEROBYTES + box.length), m = new Uint8Array(c.length), i = 0; i < box.length; i++) c[i + crypto_secretbox_BOXZEROBYTES] = box[i];
        return c.length < 32 || crypto_secretbox_open(m, c, c.length, nonce, key) !== 0 ? !1 : m.subarray(crypto_secretbox_ZEROBYTES);
      }, nacl.secretbox.keyLength = crypto_secretbox_KEYBYTES, nacl.secretbox.nonceLength = crypto_secretbox_NONCEBYTES, nacl.secretbox.overheadLength = crypto_secretbox_BOXZEROBYTES, nacl.scalarMult = function(n, p) {
        if (checkArrayTypes(n, p), n.length !== crypto_scalarmult_SCALARBYTES) throw new Error("bad n size");
        if (p.length !== crypto_scalarmult_BYTES) throw new Error("bad p size");
        var q = new Uint8Array(crypto_scalarmult_BYTES);
        return crypto_scalarmult(q, n, p), q;
      }, nacl.scalarMult.base = function(n) {
        if (checkArrayTypes(n), n.length !== crypto_scalarmult_SCALARBYTES) throw new Error("bad n size");
        var q = new Uint8Array(crypto_scalarmult_BYTES);
        return crypto_scalarmult_base(q, n), q;
      }, nacl.scalarMult.scalarLength = crypto_scalarmult_SCALARBYTES, nacl.scalarMult.groupElementLength = crypto_scalarmult_BYTES, nacl.box = function(msg, nonce, publicKey, secretKey) {
        var k = nacl.box.before(publicKey, secretKey);
        return nacl.secretbox(msg, nonce, k);
      }, nacl.box.before = function(publicKey, secretKey) {
        checkArrayTypes(publicKey, secretKey), checkBoxLengths(publicKey, secretKey);
        var k = new Uint8Array(crypto_box_BEFORENMBYTES);
        return crypto_box_beforenm(k, publicKey, secretKey), k;
      }, nacl.box.after = nacl.secretbox, nacl.box.open = function(msg, nonce, publicKey, secretKey) {
        var k = nacl.box.before(publicKey, secretKey);
        return nacl.secretbox.open(msg, nonce, k);
      }, nacl.box.open.after = nacl.secretbox.open, nacl.box.keyPair = function() {
        var pk = new Uint8Array(crypto_box_PUBLICKEYBYTES), sk = new Uint8Array(crypto_box_SECRETKEYBYTES);
        return crypto_box_keypair(pk, sk), { publicKey: pk, secretKey: sk };
      }, nacl.box.keyPair.fromSecretKey = function(secretKey) {
        if (checkArrayTypes(secretKey), secretKey.length !== crypto_box_SECRETKEYBYTES)
          throw new Error("bad secret key size");
        var pk = new Uint8Array(crypto_box_PUBLICKEYBYTES);
        return crypto_scalarmult_base(pk, secretKey), { publicKey: pk, secretKey: new Uint8Array(secretKey) };
      }, nacl.box.publicKeyLength = crypto_box_PUBLICKEYBYTES, nacl.box.secretKeyLength = crypto_box_SECRETKEYBYTES, nacl.box.sharedKeyLength = crypto_box_BEFORENMBYTES, nacl.box.nonceLength = crypto_box_NONCEBYTES, nacl.box.overheadLength = nacl.secretbox.overheadLength, nacl.sign = function(msg, secretKey) {
        if (checkArrayTypes(msg, secretKey), secretKey.length !== crypto_sign_SECRETKEYBYTES)
          throw new Error("bad secret key size");
        var signedMsg = new Uint8Array(crypto_sign_BYTES + msg.length);
        return crypto_sign(signedMsg, msg, msg.length, secretKey), signedMsg;
      }, nacl.sign.open = function(signedMsg, publicKey) {
        if (arguments.length !== 2)
          throw new Error("nacl.sign.open accepts 2 arguments; did you mean to use nacl.sign.detached.verify?");
        if (checkArrayTypes(signedMsg, publicKey), publicKey.length !== crypto_sign_PUBLICKEYBYTES)
          throw new Error("bad public key size");
        var tmp = new Uint8Array(signedMsg.length), mlen = crypto_sign_open(tmp, signedMsg, signedMsg.length, publicKey);
        if (mlen < 0) return null;
        for (var m = new Uint8Array(mlen), i = 0; i < m.length; i++) m[i] = tmp[i];
        return m;
      }, nacl.sign.detached = function(msg, secretKey) {
        for (var signedMsg = nacl.sign(msg, secretKey), sig = new Uint8Array(crypto_sign_BYTES), i = 0; i < sig.length; i++) sig[i] = signedMsg[i];
        return sig;
      }, nacl.sign.detached.verify = function(msg, sig, publicKey) {
        if (checkArrayTypes(msg, sig, publicKey), sig.length !== crypto_sign_BYTES)
          throw new Error("bad signature size");
        if (publicKey.length !== crypto_sign_PUBLICKEYBYTES)
          throw new Error("bad public key size");
        var sm = new Uint8Array(crypto_sign_BYTES + msg.length), m = new Uint8Array(crypto_sign_BYTES + msg.length), i;
        for (i = 0; i < crypto_sign_BYTES; i++) sm[i] = sig[i];
        for (i = 0; i < msg.length; i++) sm[i + crypto_sign_BYTES] = msg[i];
        return crypto_sign_open(m, sm, sm.length, publicKey) >= 0;
      }, nacl.sign.keyPair = function() {
        var pk = new Uint8Array(crypto_sign_PUBLICKEYBYTES), sk = new Uint8Array(crypto_sign_SECRETKEYBYTES);
        return crypto_sign_keypair(pk, sk), { publicKey: pk, secretKey: sk };
      }, nacl.sign.keyPair.fromSecretKey = function(secretKey) {
        if (checkArrayTypes(secretKey), secretKey.length !== crypto_sign_SECRETKEYBYTES)
          throw new Error("bad secret key size");
        for (var pk = new Uint8Array(crypto_sign_PUBLICKEYBYTES), i = 0; i < pk.length; i++) pk[i] = secretKey[32 + i];
        return { publicKey: pk, secretKey: new Uint8Array(secretKey) };
      }, nacl.sign.keyPair.fromSeed = function(seed) {
        if (checkArrayTypes(seed), seed.length !== crypto_sign_SEEDBYTES)
          throw new Error("bad seed size");
        for (var pk = new Uint8Array(crypto_sign_PUBLICKEYBYTES), sk = new Uint8Array(crypto_sign_SECRETKEYBYTES), i = 0; i < 32; i++) sk[i] = seed[i];
        return crypto_sign_keypair(pk, sk, !0), { publicKey: pk, secretKey: sk };
      }, nacl.sign.publicKeyLength = crypto_sign_PUBLICKEYBYTES, nacl.sign.secretKeyLength = crypto_sign_SECRETKEYBYTES, nacl.sign.seedLength = crypto_sign_SEEDBYTES, nacl.sign.signatureLength = crypto_sign_BYTES, nacl.hash = function(msg) {
        checkArrayTypes(msg);
        var h = new Uint8Array(crypto_hash_BYTES);
        return crypto_hash(h, msg, msg.length), h;
      }, nacl.hash.hashLength = crypto_hash_BYTES, nacl.verify = function(x, y) {
        return checkArrayTypes(x, y), x.length === 0 || y.length === 0 || x.length !== y.length ? !1 : vn(x, 0, y, 0, x.length) === 0;
      }, nacl.setPRNG = function(fn) {
        randombytes = fn;
      }, (function() {
        var crypto = typeof self < "u" ? self.crypto || self.msCrypto : null;
        if (crypto && crypto.getRandomValues) {
          var QUOTA = 65536;
          nacl.setPRNG(function(x, n) {
            var i, v = new Uint8Array(n);
            for (i = 0; i < n; i += QUOTA)
              crypto.getRandomValues(v.subarray(i, i + Math.min(n - i, QUOTA)));
            for (i = 0; i < n; i++) x[i] = v[i];
            cleanup(v);
          });
        } else typeof __require < "u" && (crypto = __require("crypto"), crypto && crypto.randomBytes && nacl.setPRNG(function(x, n) {
          var i, v = crypto.randomBytes(n);
          for (i = 0; i < n; i++) x[i] = v[i];
          cleanup(v);
        }));
      })();
    })(typeof module < "u" && module.exports ? module.exports : self.nacl = self.nacl || {});
  }
});

// node_modules/bcrypt-pbkdf/index.js
var require_bcrypt_pbkdf = __commonJS({
  "node_modules/bcrypt-pbkdf/index.js"(exports, module) {
    "use strict";
    var crypto_hash_sha512 = require_nacl_fast().lowlevel.crypto_hash, BLF_J = 0, Blowfish = function() {
      this.S = [
        new Uint32Array([
          3509652390,
          2564797868,
          805139163,
          3491422135,
          3101798381,
          1780907670,
          3128725573,
          4046225305,
          614570311,
          3012652279,
          134345442,
          2240740374,
          1667834072,
          1901547113,
          2757295779,
          4103290238,
          227898511,
          1921955416,
          1904987480,
          2182433518,
          2069144605,
          3260701109,
          2620446009,
          720527379,
          3318853667,
          677414384,
          3393288472,
          3101374703,
          2390351024,
          1614419982,
          1822297739,
          2954791486,
          3608508353,
          3174124327,
          2024746970,
          1432378464,
          3864339955,
          2857741204,
          1464375394,
          1676153920,
          1439316330,
          715854006,
          3033291828,
          289532110,
          2706671279,
          2087905683,
          3018724369,
          1668267050,
          732546397,
          1947742710,
          3462151702,
          2609353502,
          2950085171,
          1814351708,
          2050118529,
          680887927,
          999245976,
          1800124847,
          3300911131,
          1713906067,
          1641548236,
          4213287313,
          1216130144,
          1575780402,
          4018429277,
          3917837745,
          3693486850,
          3949271944,
          596196993,
          3549867205,
          258830323,
          2213823033,
          772490370,
          2760122372,
          1774776394,
          2652871518,
          566650946,
          4142492826,
          1728879713,
          2882767088,
          1783734482,
          3629395816,
          2517608232,
          2874225571,
          1861159788,
          326777828,
          3124490320,
          2130389656,
          2716951837,
          967770486,
          1724537150,
          2185432712,
          2364442137,
          1164943284,
          2105845187,
          998989502,
          3765401048,
          2244026483,
          1075463327,
          1455516326,
          1322494562,
          910128902,
          469688178,
          1117454909,
          936433444,
          3490320968,
          3675253459,
          1240580251,
          122909385,
          2157517691,
          634681816,
          4142456567,
          3825094682,
          3061402683,
          2540495037,
          79693498,
          3249098678,
          1084186820,
          1583128258,
          426386531,
          1761308591,
          1047286709,
          322548459,
          995290223,
          1845252383,
          2603652396,
          3431023940,
          2942221577,
          3202600964,
          3727903485,
          1712269319,
          422464435,
          3234572375,
          1170764815,
          3523960633,
          3117677531,
          1434042557,
          442511882,
          3600875718,
          1076654713,
          1738483198,
          4213154764,
          2393238008,
          3677496056,
          1014306527,
          4251020053,
          793779912,
          2902807211,
          842905082,
          4246964064,
          1395751752,
          1040244610,
          2656851899,
          3396308128,
          445077038,
          3742853595,
          3577915638,
          679411651,
          2892444358,
          2354009459,
          1767581616,
          3150600392,
          3791627101,
          3102740896,
          284835224,
          4246832056,
          1258075500,
          768725851,
          2589189241,
          3069724005,
          3532540348,
          1274779536,
          3789419226,
          2764799539,
          1660621633,
          3471099624,
          4011903706,
          913787905,
          3497959166,
          737222580,
          2514213453,
          2928710040,
          3937242737,
          1804850592,
          3499020752,
          2949064160,
          2386320175,
          2390070455,
          2415321851,
          4061277028,
          2290661394,
          2416832540,
          1336762016,
          1754252060,
          3520065937,
          3014181293,
          791618072,
          3188594551,
          3933548030,
          2332172193,
          3852520463,
          3043980520,
          413987798,
          3465142937,
          3030929376,
          4245938359,
          2093235073,
          3534596313,
          375366246,
          2157278981,
          2479649556,
          555357303,
          3870105701,
          2008414854,
          3344188149,
          4221384143,
          3956125452,
          2067696032,
          3594591187,
          2921233993,
          2428461,
          544322398,
          577241275,
          1471733935,
          610547355,
          4027169054,
          1432588573,
          1507829418,
          2025931657,
          3646575487,
          545086370,
          48609733,
          2200306550,
          1653985193,
          298326376,
          1316178497,
          3007786442,
          2064951626,
          458293330,
          2589141269,
          3591329599,
          3164325604,
          727753846,
          2179363840,
          146436021,
          1461446943,
          4069977195,
          705550613,
          3059967265,
          3887724982,
          4281599278,
          3313849956,
          1404054877,
          2845806497,
          146425753,
          1854211946
        ]),
        new Uint32Array([
          1266315497,
          3048417604,
          3681880366,
          3289982499,
          290971e4,
          1235738493,
          2632868024,
          2414719590,
          3970600049,
          1771706367,
          1449415276,
          3266420449,
          422970021,
          1963543593,
          2690192192,
          3826793022,
          1062508698,
          1531092325,
          1804592342,
          2583117782,
          2714934279,
          4024971509,
          1294809318,
          4028980673,
          1289560198,
          2221992742,
          1669523910,
          35572830,
          157838143,
          1052438473,
          1016535060,
          1802137761,
          1753167236,
          1386275462,
          3080475397,
          2857371447,
          1040679964,
          2145300060,
          2390574316,
          1461121720,
          2956646967,
          4031777805,
          4028374788,
          33600511,
          2920084762,
          1018524850,
          629373528,
          3691585981,
          3515945977,
          2091462646,
          2486323059,
          586499841,
          988145025,
          935516892,
          3367335476,
          2599673255,
          2839830854,
          265290510,
          3972581182,
          2759138881,
          3795373465,
          1005194799,
          847297441,
          406762289,
          1314163512,
          1332590856,
          1866599683,
          4127851711,
          750260880,
          613907577,
          1450815602,
          3165620655,
          3734664991,
          3650291728,
          3012275730,
          3704569646,
          1427272223,
          778793252,
          1343938022,
          2676280711,
          2052605720,
          1946737175,
          3164576444,
          3914038668,
          3967478842,
          3682934266,
          1661551462,
          3294938066,
          4011595847,
          840292616,
          3712170807,
          616741398,
          312560963,
          711312465,
          1351876610,
          322626781,
          1910503582,
          271666773,
          2175563734,
          1594956187,
          70604529,
          3617834859,
          1007753275,
          1495573769,
          4069517037,
          2549218298,
          2663038764,
          504708206,
          2263041392,
          3941167025,
          2249088522,
          1514023603,
          1998579484,
          1312622330,
          694541497,
          2582060303,
          2151582166,
          1382467621,
          776784248,
          2618340202,
          3323268794,
          2497899128,
          2784771155,
          503983604,
          4076293799,
          907881277,
          423175695,
          432175456,
          1378068232,
          4145222326,
          3954048622,
          3938656102,
          3820766613,
          2793130115,
          2977904593,
          26017576,
          3274890735,
          3194772133,
          1700274565,
          1756076034,
          4006520079,
          3677328699,
          720338349,
          1533947780,
          354530856,
          688349552,
          3973924725,
          1637815568,
          332179504,
          3949051286,
          53804574,
          2852348879,
          3044236432,
          1282449977,
          3583942155,
          3416972820,
          4006381244,
          1617046695,
          2628476075,
          3002303598,
          1686838959,
          431878346,
          2686675385,
          1700445008,
          1080580658,
          1009431731,
          832498133,
          3223435511,
          2605976345,
          2271191193,
          2516031870,
          1648197032,
          4164389018,
          2548247927,
          300782431,
          375919233,
          238389289,
          3353747414,
          2531188641,
          2019080857,
          1475708069,
          455242339,
          2609103871,
          448939670,
          3451063019,
          1395535956,
          2413381860,
          1841049896,
          1491858159,
          885456874,
          4264095073,
          4001119347,
          1565136089,
          3898914787,
          1108368660,
          540939232,
          1173283510,
          2745871338,
          3681308437,
          4207628240,
          3343053890,
          4016749493,
          1699691293,
          1103962373,
          3625875870,
          2256883143,
          3830138730,
          1031889488,
          3479347698,
          1535977030,
          4236805024,
          3251091107,
          2132092099,
          1774941330,
          1199868427,
          1452454533,
          157007616,
          2904115357,
          342012276,
          595725824,
          1480756522,
          206960106,
          497939518,
          591360097,
          863170706,
          2375253569,
          3596610801,
          1814182875,
          2094937945,
          3421402208,
          1082520231,
          3463918190,
          2785509508,
          435703966,
          3908032597,
          1641649973,
          2842273706,
          3305899714,
          1510255612,
          2148256476,
          2655287854,
          3276092548,
          4258621189,
          236887753,
          3681803219,
          274041037,
          1734335097,
          3815195456,
          3317970021,
          1899903192,
          1026095262,
          4050517792,
          356393447,
          2410691914,
          3873677099,
          3682840055
        ]),
        new Uint32Array([
          3913112168,
          2491498743,
          4132185628,
          2489919796,
          1091903735,
          1979897079,
          3170134830,
          3567386728,
          3557303409,
          857797738,
          1136121015,
          1342202287,
          507115054,
          2535736646,
          337727348,
          3213592640,
          1301675037,
          2528481711,
          1895095763,
          1721773893,
          3216771564,
          62756741,
          2142006736,
          835421444,
          2531993523,
          1442658625,
          3659876326,
          2882144922,
          676362277,
          1392781812,
          170690266,
          3921047035,
          1759253602,
          3611846912,
          1745797284,
          664899054,
          1329594018,
          3901205900,
          3045908486,
          2062866102,
          2865634940,
          3543621612,
          3464012697,
          1080764994,
          553557557,
          3656615353,
          3996768171,
          991055499,
          499776247,
          1265440854,
          648242737,
          3940784050,
          980351604,
          3713745714,
          1749149687,
          3396870395,
          4211799374,
          3640570775,
          1161844396,
          3125318951,
          1431517754,
          545492359,
          4268468663,
          3499529547,
          1437099964,
          2702547544,
          3433638243,
          2581715763,
          2787789398,
          1060185593,
          1593081372,
          2418618748,
          4260947970,
          69676912,
          2159744348,
          86519011,
          2512459080,
          3838209314,
          1220612927,
          3339683548,
          133810670,
          1090789135,
          1078426020,
          1569222167,
          845107691,
          3583754449,
          4072456591,
          1091646820,
          628848692,
          1613405280,
          3757631651,
          526609435,
          236106946,
          48312990,
          2942717905,
          3402727701,
          1797494240,
          859738849,
          992217954,
          4005476642,
          2243076622,
          3870952857,
          3732016268,
          765654824,
          3490871365,
          2511836413,
          1685915746,
          3888969200,
          1414112111,
          2273134842,
          3281911079,
          4080962846,
          172450625,
          2569994100,
          980381355,
          4109958455,
          2819808352,
          2716589560,
          2568741196,
          3681446669,
          3329971472,
          1835478071,
          660984891,
          3704678404,
          4045999559,
          3422617507,
          3040415634,
          1762651403,
          1719377915,
          3470491036,
          2693910283,
          3642056355,
          3138596744,
          1364962596,
          2073328063,
          1983633131,
          926494387,
          3423689081,
          2150032023,
          4096667949,
          1749200295,
          3328846651,
          309677260,
          2016342300,
          1779581495,
          3079819751,
          111262694,
          1274766160,
          443224088,
          298511866,
          1025883608,
          3806446537,
          1145181785,
          168956806,
          3641502830,
          3584813610,
          1689216846,
          3666258015,
          3200248200,
          1692713982,
          2646376535,
          4042768518,
          1618508792,
          1610833997,
          3523052358,
          4130873264,
          2001055236,
          3610705100,
          2202168115,
          4028541809,
          2961195399,
          1006657119,
          2006996926,
          3186142756,
          1430667929,
          3210227297,
          1314452623,
          4074634658,
          4101304120,
          2273951170,
          1399257539,
          3367210612,
          3027628629,
          1190975929,
          2062231137,
          2333990788,
          2221543033,
          2438960610,
          1181637006,
          548689776,
          2362791313,
          3372408396,
          3104550113,
          3145860560,
          296247880,
          1970579870,
          3078560182,
          3769228297,
          1714227617,
          3291629107,
          3898220290,
          166772364,
          1251581989,
          493813264,
          448347421,
          195405023,
          2709975567,
          677966185,
          3703036547,
          1463355134,
          2715995803,
          1338867538,
          1343315457,
          2802222074,
          2684532164,
          233230375,
          2599980071,
          2000651841,
          3277868038,
          1638401717,
          4028070440,
          3237316320,
          6314154,
          819756386,
          300326615,
          590932579,
          1405279636,
          3267499572,
          3150704214,
          2428286686,
          3959192993,
          3461946742,
          1862657033,
          1266418056,
          963775037,
          2089974820,
          2263052895,
          1917689273,
          448879540,
          3550394620,
          3981727096,
          150775221,
          3627908307,
          1303187396,
          508620638,
          2975983352,
          2726630617,
          1817252668,
          1876281319,
          1457606340,
          908771278,
          3720792119,
          3617206836,
          2455994898,
          1729034894,
          1080033504
        ]),
        new Uint32Array([
          976866871,
          3556439503,
          2881648439,
          1522871579,
          1555064734,
          1336096578,
          3548522304,
          2579274686,
          3574697629,
          3205460757,
          3593280638,
          3338716283,
          3079412587,
          564236357,
          2993598910,
          1781952180,
          1464380207,
          3163844217,
          3332601554,
          1699332808,
          1393555694,
          1183702653,
          3581086237,
          1288719814,
          691649499,
          2847557200,
          2895455976,
          3193889540,
          2717570544,
          1781354906,
          1676643554,
          2592534050,
          3230253752,
          1126444790,
          2770207658,
          2633158820,
          2210423226,
          2615765581,
          2414155088,
          3127139286,
          673620729,
          2805611233,
          1269405062,
          4015350505,
          3341807571,
          4149409754,
          1057255273,
          2012875353,
          2162469141,
          2276492801,
          2601117357,
          993977747,
          3918593370,
          2654263191,
          753973209,
          36408145,
          2530585658,
          25011837,
          3520020182,
          2088578344,
          530523599,
          2918365339,
          1524020338,
          1518925132,
          3760827505,
          3759777254,
          1202760957,
          3985898139,
          3906192525,
          674977740,
          4174734889,
          2031300136,
          2019492241,
          3983892565,
          4153806404,
          3822280332,
          352677332,
          2297720250,
          60907813,
          90501309,
          3286998549,
          1016092578,
          2535922412,
          2839152426,
          457141659,
          509813237,
          4120667899,
          652014361,
          1966332200,
          2975202805,
          55981186,
          2327461051,
          676427537,
          3255491064,
          2882294119,
          3433927263,
          1307055953,
          942726286,
          933058658,
          2468411793,
          3933900994,
          4215176142,
          1361170020,
          2001714738,
          2830558078,
          3274259782,
          1222529897,
          1679025792,
          2729314320,
          3714953764,
          1770335741,
          151462246,
          3013232138,
          1682292957,
          1483529935,
          471910574,
          1539241949,
          458788160,
          3436315007,
          1807016891,
          3718408830,
          978976581,
          1043663428,
          3165965781,
          1927990952,
          4200891579,
          2372276910,
          3208408903,
          3533431907,
          1412390302,
          2931980059,
          4132332400,
          1947078029,
          3881505623,
          4168226417,
          2941484381,
          1077988104,
          1320477388,
          886195818,
          18198404,
          3786409e3,
          2509781533,
          112762804,
          3463356488,
          1866414978,
          891333506,
          18488651,
          661792760,
          1628790961,
          3885187036,
          3141171499,
          876946877,
          2693282273,
          1372485963,
          791857591,
          2686433993,
          3759982718,
          3167212022,
          3472953795,
          2716379847,
          445679433,
          3561995674,
          3504004811,
          3574258232,
          54117162,
          3331405415,
          2381918588,
          3769707343,
          4154350007,
          1140177722,
          4074052095,
          668550556,
          3214352940,
          367459370,
          261225585,
          2610173221,
          4209349473,
          3468074219,
          3265815641,
          314222801,
          3066103646,
          3808782860,
          282218597,
          3406013506,
          3773591054,
          379116347,
          1285071038,
          846784868,
          2669647154,
          3771962079,
          3550491691,
          2305946142,
          453669953,
          1268987020,
          3317592352,
          3279303384,
          3744833421,
          2610507566,
          3859509063,
          266596637,
          3847019092,
          517658769,
          3462560207,
          3443424879,
          370717030,
          4247526661,
          2224018117,
          4143653529,
          4112773975,
          2788324899,
          2477274417,
          1456262402,
          2901442914,
          1517677493,
          1846949527,
          2295493580,
          3734397586,
          2176403920,
          1280348187,
          1908823572,
          3871786941,
          846861322,
          1172426758,
          3287448474,
          3383383037,
          1655181056,
          3139813346,
          901632758,
          1897031941,
          2986607138,
          3066810236,
          3447102507,
          1393639104,
          373351379,
          950779232,
          625454576,
          3124240540,
          4148612726,
          2007998917,
          544563296,
          2244738638,
          2330496472,
          2058025392,
          1291430526,
          424198748,
          50039436,
          29584100,
          3605783033,
          2429876329,
          2791104160,
          1057563949,
          3255363231,
          3075367218,
          3463963227,
          1469046755,
          985887462
        ])
      ], this.P = new Uint32Array([
        608135816,
        2242054355,
        320440878,
        57701188,
        2752067618,
        698298832,
        137296536,
        3964562569,
        1160258022,
        953160567,
        3193202383,
        887688300,
        3232508343,
        3380367581,
        1065670069,
        3041331479,
        2450970073,
        2306472731
      ]);
    };
    function F(S, x8, i) {
      return (S[0][x8[i + 3]] + S[1][x8[i + 2]] ^ S[2][x8[i + 1]]) + S[3][x8[i]];
    }
    Blowfish.prototype.encipher = function(x, x8) {
      x8 === void 0 && (x8 = new Uint8Array(x.buffer), x.byteOffset !== 0 && (x8 = x8.subarray(x.byteOffset))), x[0] ^= this.P[0];
      for (var i = 1; i < 16; i += 2)
        x[1] ^= F(this.S, x8, 0) ^ this.P[i], x[0] ^= F(this.S, x8, 4) ^ this.P[i + 1];
      var t = x[0];
      x[0] = x[1] ^ this.P[17], x[1] = t;
    };
    Blowfish.prototype.decipher = function(x) {
      var x8 = new Uint8Array(x.buffer);
      x.byteOffset !== 0 && (x8 = x8.subarray(x.byteOffset)), x[0] ^= this.P[17];
      for (var i = 16; i > 0; i -= 2)
        x[1] ^= F(this.S, x8, 0) ^ this.P[i], x[0] ^= F(this.S, x8, 4) ^ this.P[i - 1];
      var t = x[0];
      x[0] = x[1] ^ this.P[0], x[1] = t;
    };
    function stream2word(data, databytes) {
      var i, temp = 0;
      for (i = 0; i < 4; i++, BLF_J++)
        BLF_J >= databytes && (BLF_J = 0), temp = temp << 8 | data[BLF_J];
      return temp;
    }
    Blowfish.prototype.expand0state = function(key, keybytes) {
      var d = new Uint32Array(2), i, k, d8 = new Uint8Array(d.buffer);
      for (i = 0, BLF_J = 0; i < 18; i++)
        this.P[i] ^= stream2word(key, keybytes);
      for (BLF_J = 0, i = 0; i < 18; i += 2)
        this.encipher(d, d8), this.P[i] = d[0], this.P[i + 1] = d[1];
      for (i = 0; i < 4; i++)
        for (k = 0; k < 256; k += 2)
          this.encipher(d, d8), this.S[i][k] = d[0], this.S[i][k + 1] = d[1];
    };
    Blowfish.prototype.expandstate = function(data, databytes, key, keybytes) {
      var d = new Uint32Array(2), i, k;
      for (i = 0, BLF_J = 0; i < 18; i++)
        this.P[i] ^= stream2word(key, keybytes);
      for (i = 0, BLF_J = 0; i < 18; i += 2)
        d[0] ^= stream2word(data, databytes), d[1] ^= stream2word(data, databytes), this.encipher(d), this.P[i] = d[0], this.P[i + 1] = d[1];
      for (i = 0; i < 4; i++)
        for (k = 0; k < 256; k += 2)
          d[0] ^= stream2word(data, databytes), d[1] ^= stream2word(data, databytes), this.encipher(d), this.S[i][k] = d[0], this.S[i][k + 1] = d[1];
      BLF_J = 0;
    };
    Blowfish.prototype.enc = function(data, blocks) {
      for (var i = 0; i < blocks; i++)
        this.encipher(data.subarray(i * 2));
    };
    Blowfish.prototype.dec = function(data, blocks) {
      for (var i = 0; i < blocks; i++)
        this.decipher(data.subarray(i * 2));
    };
    var BCRYPT_BLOCKS = 8, BCRYPT_HASHSIZE = 32;
    function bcrypt_hash(sha2pass, sha2salt, out) {
      var state = new Blowfish(), cdata = new Uint32Array(BCRYPT_BLOCKS), i, ciphertext = new Uint8Array([
        79,
        120,
        121,
        99,
        104,
        114,
        111,
        109,
        97,
        116,
        105,
        99,
        66,
        108,
        111,
        119,
        102,
        105,
        115,
        104,
        83,
        119,
        97,
        116,
        68,
        121,
        110,
        97,
        109,
        105,
        116,
        101
      ]);
      for (state.expandstate(sha2salt, 64, sha2pass, 64), i = 0; i < 64; i++)
        state.expand0state(sha2salt, 64), state.expand0state(sha2pass, 64);
      for (i = 0; i < BCRYPT_BLOCKS; i++)
        cdata[i] = stream2word(ciphertext, ciphertext.byteLength);
      for (i = 0; i < 64; i++)
        state.enc(cdata, cdata.byteLength / 8);
      for (i = 0; i < BCRYPT_BLOCKS; i++)
        out[4 * i + 3] = cdata[i] >>> 24, out[4 * i + 2] = cdata[i] >>> 16, out[4 * i + 1] = cdata[i] >>> 8, out[4 * i + 0] = cdata[i];
    }
    function bcrypt_pbkdf(pass, passlen, salt, saltlen, key, keylen, rounds) {
      var sha2pass = new Uint8Array(64), sha2salt = new Uint8Array(64), out = new Uint8Array(BCRYPT_HASHSIZE), tmpout = new Uint8Array(BCRYPT_HASHSIZE), countsalt = new Uint8Array(saltlen + 4), i, j, amt, stride, dest, count, origkeylen = keylen;
      if (rounds < 1 || passlen === 0 || saltlen === 0 || keylen === 0 || keylen > out.byteLength * out.byteLength || saltlen > 1 << 20)
        return -1;
      for (stride = Math.floor((keylen + out.byteLength - 1) / out.byteLength), amt = Math.floor((keylen + stride - 1) / stride), i = 0; i < saltlen; i++)
        countsalt[i] = salt[i];
      for (crypto_hash_sha512(sha2pass, pass, passlen), count = 1; keylen > 0; count++) {
        for (countsalt[saltlen + 0] = count >>> 24, countsalt[saltlen + 1] = count >>> 16, countsalt[saltlen + 2] = count >>> 8, countsalt[saltlen + 3] = count, crypto_hash_sha512(sha2salt, countsalt, saltlen + 4), bcrypt_hash(sha2pass, sha2salt, tmpout), i = out.byteLength; i--; )
          out[i] = tmpout[i];
        for (i = 1; i < rounds; i++)
          for (crypto_hash_sha512(sha2salt, tmpout, tmpout.byteLength), bcrypt_hash(sha2pass, sha2salt, tmpout), j = 0; j < out.byteLength; j++)
            out[j] ^= tmpout[j];
        for (amt = Math.min(amt, keylen), i = 0; i < amt && (dest = i * stride + (count - 1), !(dest >= origkeylen)); i++)
          key[dest] = out[i];
        keylen -= i;
      }
      return 0;
    }
    module.exports = {
      BLOCKS: BCRYPT_BLOCKS,
      HASHSIZE: BCRYPT_HASHSIZE,
      hash: bcrypt_hash,
      pbkdf: bcrypt_pbkdf
    };
  }
});

// node_modules/ssh2/lib/protocol/constants.js
var require_constants = __commonJS({
  "node_modules/ssh2/lib/protocol/constants.js"(exports, module) {
    "use strict";
    var crypto = __require("crypto"), cpuInfo;
    try {
      cpuInfo = __require("cpu-features")();
    } catch {
    }
    var { bindingAvailable, CIPHER_INFO, MAC_INFO } = require_crypto(), eddsaSupported = (() => {
      if (typeof crypto.sign == "function" && typeof crypto.verify == "function") {
        let key = `-----BEGIN PRIVATE KEY-----\r
MC4CAQAwBQYDK2VwBCIEIHKj+sVa9WcD/q2DJUJaf43Kptc8xYuUQA4bOFj9vC8T\r
-----END PRIVATE KEY-----`, data = Buffer.from("a"), sig, verified;
        try {
          sig = crypto.sign(null, data, key), verified = crypto.verify(null, data, key, sig);
        } catch {
        }
        return Buffer.isBuffer(sig) && sig.length === 64 && verified === !0;
      }
      return !1;
    })(), curve25519Supported = typeof crypto.diffieHellman == "function" && typeof crypto.generateKeyPairSync == "function" && typeof crypto.createPublicKey == "function", DEFAULT_KEX = [
      // https://tools.ietf.org/html/rfc5656#section-10.1
      "ecdh-sha2-nistp256",
      "ecdh-sha2-nistp384",
      "ecdh-sha2-nistp521",
      // https://tools.ietf.org/html/rfc4419#section-4
      "diffie-hellman-group-exchange-sha256",
      // https://tools.ietf.org/html/rfc8268
      "diffie-hellman-group14-sha256",
      "diffie-hellman-group15-sha512",
      "diffie-hellman-group16-sha512",
      "diffie-hellman-group17-sha512",
      "diffie-hellman-group18-sha512"
    ];
    curve25519Supported && (DEFAULT_KEX.unshift("curve25519-sha256"), DEFAULT_KEX.unshift("curve25519-sha256@libssh.org"));
    var SUPPORTED_KEX = DEFAULT_KEX.concat([
      // https://tools.ietf.org/html/rfc4419#section-4
      "diffie-hellman-group-exchange-sha1",
      "diffie-hellman-group14-sha1",
      // REQUIRED
      "diffie-hellman-group1-sha1"
      // REQUIRED
    ]), DEFAULT_SERVER_HOST_KEY = [
      "ecdsa-sha2-nistp256",
      "ecdsa-sha2-nistp384",
      "ecdsa-sha2-nistp521",
      "rsa-sha2-512",
      // RFC 8332
      "rsa-sha2-256",
      // RFC 8332
      "ssh-rsa"
    ];
    eddsaSupported && DEFAULT_SERVER_HOST_KEY.unshift("ssh-ed25519");
    var SUPPORTED_SERVER_HOST_KEY = DEFAULT_SERVER_HOST_KEY.concat([
      "ssh-dss"
    ]), canUseCipher = (() => {
      let ciphers = crypto.getCiphers();
      return (name) => ciphers.includes(CIPHER_INFO[name].sslName);
    })(), DEFAULT_CIPHER = [
      // http://tools.ietf.org/html/rfc5647
      "aes128-gcm@openssh.com",
      "aes256-gcm@openssh.com",
      // http://tools.ietf.org/html/rfc4344#section-4
      "aes128-ctr",
      "aes192-ctr",
      "aes256-ctr"
    ];
    cpuInfo && cpuInfo.flags && !cpuInfo.flags.aes ? bindingAvailable ? DEFAULT_CIPHER.unshift("chacha20-poly1305@openssh.com") : DEFAULT_CIPHER.push("chacha20-poly1305@openssh.com") : bindingAvailable && cpuInfo && cpuInfo.arch === "x86" ? DEFAULT_CIPHER.splice(4, 0, "chacha20-poly1305@openssh.com") : DEFAULT_CIPHER.push("chacha20-poly1305@openssh.com");
    DEFAULT_CIPHER = DEFAULT_CIPHER.filter(canUseCipher);
    var SUPPORTED_CIPHER = DEFAULT_CIPHER.concat([
      "aes256-cbc",
      "aes192-cbc",
      "aes128-cbc",
      "blowfish-cbc",
      "3des-cbc",
      "aes128-gcm",
      "aes256-gcm",
      // http://tools.ietf.org/html/rfc4345#section-4:
      "arcfour256",
      "arcfour128",
      "cast128-cbc",
      "arcfour"
    ].filter(canUseCipher)), canUseMAC = (() => {
      let hashes = crypto.getHashes();
      return (name) => hashes.includes(MAC_INFO[name].sslName);
    })(), DEFAULT_MAC = [
      "hmac-sha2-256-etm@openssh.com",
      "hmac-sha2-512-etm@openssh.com",
      "hmac-sha1-etm@openssh.com",
      "hmac-sha2-256",
      "hmac-sha2-512",
      "hmac-sha1"
    ].filter(canUseMAC), SUPPORTED_MAC = DEFAULT_MAC.concat([
      "hmac-md5",
      "hmac-sha2-256-96",
      // first 96 bits of HMAC-SHA256
      "hmac-sha2-512-96",
      // first 96 bits of HMAC-SHA512
      "hmac-ripemd160",
      "hmac-sha1-96",
      // first 96 bits of HMAC-SHA1
      "hmac-md5-96"
      // first 96 bits of HMAC-MD5
    ].filter(canUseMAC)), DEFAULT_COMPRESSION = [
      "none",
      "zlib@openssh.com",
      // ZLIB (LZ77) compression, except
      // compression/decompression does not start until after
      // successful user authentication
      "zlib"
      // ZLIB (LZ77) compression
    ], SUPPORTED_COMPRESSION = DEFAULT_COMPRESSION.concat([]), COMPAT = {
      BAD_DHGEX: 1,
      OLD_EXIT: 2,
      DYN_RPORT_BUG: 4,
      BUG_DHGEX_LARGE: 8,
      IMPLY_RSA_SHA2_SIGALGS: 16
    };
    module.exports = {
      MESSAGE: {
        // Transport layer protocol -- generic (1-19)
        DISCONNECT: 1,
        IGNORE: 2,
        UNIMPLEMENTED: 3,
        DEBUG: 4,
        SERVICE_REQUEST: 5,
        SERVICE_ACCEPT: 6,
        EXT_INFO: 7,
        // RFC 8308
        // Transport layer protocol -- algorithm negotiation (20-29)
        KEXINIT: 20,
        NEWKEYS: 21,
        // Transport layer protocol -- key exchange method-specific (30-49)
        KEXDH_INIT: 30,
        KEXDH_REPLY: 31,
        KEXDH_GEX_GROUP: 31,
        KEXDH_GEX_INIT: 32,
        KEXDH_GEX_REPLY: 33,
        KEXDH_GEX_REQUEST: 34,
        KEXECDH_INIT: 30,
        KEXECDH_REPLY: 31,
        // User auth protocol -- generic (50-59)
        USERAUTH_REQUEST: 50,
        USERAUTH_FAILURE: 51,
        USERAUTH_SUCCESS: 52,
        USERAUTH_BANNER: 53,
        // User auth protocol -- user auth method-specific (60-79)
        USERAUTH_PASSWD_CHANGEREQ: 60,
        USERAUTH_PK_OK: 60,
        USERAUTH_INFO_REQUEST: 60,
        USERAUTH_INFO_RESPONSE: 61,
        // Connection protocol -- generic (80-89)
        GLOBAL_REQUEST: 80,
        REQUEST_SUCCESS: 81,
        REQUEST_FAILURE: 82,
        // Connection protocol -- channel-related (90-127)
        CHANNEL_OPEN: 90,
        CHANNEL_OPEN_CONFIRMATION: 91,
        CHANNEL_OPEN_FAILURE: 92,
        CHANNEL_WINDOW_ADJUST: 93,
        CHANNEL_DATA: 94,
        CHANNEL_EXTENDED_DATA: 95,
        CHANNEL_EOF: 96,
        CHANNEL_CLOSE: 97,
        CHANNEL_REQUEST: 98,
        CHANNEL_SUCCESS: 99,
        CHANNEL_FAILURE: 100
        // Reserved for client protocols (128-191)
        // Local extensions (192-155)
      },
      DISCONNECT_REASON: {
        HOST_NOT_ALLOWED_TO_CONNECT: 1,
        PROTOCOL_ERROR: 2,
        KEY_EXCHANGE_FAILED: 3,
        RESERVED: 4,
        MAC_ERROR: 5,
        COMPRESSION_ERROR: 6,
        SERVICE_NOT_AVAILABLE: 7,
        PROTOCOL_VERSION_NOT_SUPPORTED: 8,
        HOST_KEY_NOT_VERIFIABLE: 9,
        CONNECTION_LOST: 10,
        BY_APPLICATION: 11,
        TOO_MANY_CONNECTIONS: 12,
        AUTH_CANCELED_BY_USER: 13,
        NO_MORE_AUTH_METHODS_AVAILABLE: 14,
        ILLEGAL_USER_NAME: 15
      },
      DISCONNECT_REASON_STR: void 0,
      CHANNEL_OPEN_FAILURE: {
        ADMINISTRATIVELY_PROHIBITED: 1,
        CONNECT_FAILED: 2,
        UNKNOWN_CHANNEL_TYPE: 3,
        RESOURCE_SHORTAGE: 4
      },
      TERMINAL_MODE: {
        TTY_OP_END: 0,
        // Indicates end of options.
        VINTR: 1,
        // Interrupt character; 255 if none. Similarly for the
        //  other characters.  Not all of these characters are
        //  supported on all systems.
        VQUIT: 2,
        // The quit character (sends SIGQUIT signal on POSIX
        //  systems).
        VERASE: 3,
        // Erase the character to left of the cursor.
        VKILL: 4,
        // Kill the current input line.
        VEOF: 5,
        // End-of-file character (sends EOF from the
        //  terminal).
        VEOL: 6,
        // End-of-line character in addition to carriage
        //  return and/or linefeed.
        VEOL2: 7,
        // Additional end-of-line character.
        VSTART: 8,
        // Continues paused output (normally control-Q).
        VSTOP: 9,
        // Pauses output (normally control-S).
        VSUSP: 10,
        // Suspends the current program.
        VDSUSP: 11,
        // Another suspend character.
        VREPRINT: 12,
        // Reprints the current input line.
        VWERASE: 13,
        // Erases a word left of cursor.
        VLNEXT: 14,
        // Enter the next character typed literally, even if
        //  it is a special character
        VFLUSH: 15,
        // Character to flush output.
        VSWTCH: 16,
        // Switch to a different shell layer.
        VSTATUS: 17,
        // Prints system status line (load, command, pid,
        //  etc).
        VDISCARD: 18,
        // Toggles the flushing of terminal output.
        IGNPAR: 30,
        // The ignore parity flag.  The parameter SHOULD be 0
        //  if this flag is FALSE, and 1 if it is TRUE.
        PARMRK: 31,
        // Mark parity and framing errors.
        INPCK: 32,
        // Enable checking of parity errors.
        ISTRIP: 33,
        // Strip 8th bit off characters.
        INLCR: 34,
        // Map NL into CR on input.
        IGNCR: 35,
        // Ignore CR on input.
        ICRNL: 36,
        // Map CR to NL on input.
        IUCLC: 37,
        // Translate uppercase characters to lowercase.
        IXON: 38,
        // Enable output flow control.
        IXANY: 39,
        // Any char will restart after stop.
        IXOFF: 40,
        // Enable input flow control.
        IMAXBEL: 41,
        // Ring bell on input queue full.
        ISIG: 50,
        // Enable signals INTR, QUIT, [D]SUSP.
        ICANON: 51,
        // Canonicalize input lines.
        XCASE: 52,
        // Enable input and output of uppercase characters by
        //  preceding their lowercase equivalents with "\".
        ECHO: 53,
        // Enable echoing.
        ECHOE: 54,
        // Visually erase chars.
        ECHOK: 55,
        // Kill character discards current line.
        ECHONL: 56,
        // Echo NL even if ECHO is off.
        NOFLSH: 57,
        // Don't flush after interrupt.
        TOSTOP: 58,
        // Stop background jobs from output.
        IEXTEN: 59,
        // Enable extensions.
        ECHOCTL: 60,
        // Echo control characters as ^(Char).
        ECHOKE: 61,
        // Visual erase for line kill.
        PENDIN: 62,
        // Retype pending input.
        OPOST: 70,
        // Enable output processing.
        OLCUC: 71,
        // Convert lowercase to uppercase.
        ONLCR: 72,
        // Map NL to CR-NL.
        OCRNL: 73,
        // Translate carriage return to newline (output).
        ONOCR: 74,
        // Translate newline to carriage return-newline
        //  (output).
        ONLRET: 75,
        // Newline performs a carriage return (output).
        CS7: 90,
        // 7 bit mode.
        CS8: 91,
        // 8 bit mode.
        PARENB: 92,
        // Parity enable.
        PARODD: 93,
        // Odd parity, else even.
        TTY_OP_ISPEED: 128,
        // Specifies the input baud rate in bits per second.
        TTY_OP_OSPEED: 129
        // Specifies the output baud rate in bits per second.
      },
      CHANNEL_EXTENDED_DATATYPE: {
        STDERR: 1
      },
      SIGNALS: [
        "ABRT",
        "ALRM",
        "FPE",
        "HUP",
        "ILL",
        "INT",
        "QUIT",
        "SEGV",
        "TERM",
        "USR1",
        "USR2",
        "KILL",
        "PIPE"
      ].reduce((cur, val) => ({ ...cur, [val]: 1 }), {}),
      COMPAT,
      COMPAT_CHECKS: [
        ["Cisco-1.25", COMPAT.BAD_DHGEX],
        [/^Cisco-1[.]/, COMPAT.BUG_DHGEX_LARGE],
        [/^[0-9.]+$/, COMPAT.OLD_EXIT],
        // old SSH.com implementations
        [/^OpenSSH_5[.][0-9]+/, COMPAT.DYN_RPORT_BUG],
        [/^OpenSSH_7[.]4/, COMPAT.IMPLY_RSA_SHA2_SIGALGS]
      ],
      // KEX proposal-related
      DEFAULT_KEX,
      SUPPORTED_KEX,
      DEFAULT_SERVER_HOST_KEY,
      SUPPORTED_SERVER_HOST_KEY,
      DEFAULT_CIPHER,
      SUPPORTED_CIPHER,
      DEFAULT_MAC,
      SUPPORTED_MAC,
      DEFAULT_COMPRESSION,
      SUPPORTED_COMPRESSION,
      curve25519Supported,
      eddsaSupported
    };
    module.exports.DISCONNECT_REASON_BY_VALUE = Array.from(Object.entries(module.exports.DISCONNECT_REASON)).reduce((obj, [key, value]) => ({ ...obj, [value]: key }), {});
  }
});

// node_modules/ssh2/lib/protocol/utils.js
var require_utils = __commonJS({
  "node_modules/ssh2/lib/protocol/utils.js"(exports, module) {
    "use strict";
    var Ber = require_lib().Ber, DISCONNECT_REASON, FastBuffer = Buffer[Symbol.species], TypedArrayFill = Object.getPrototypeOf(Uint8Array.prototype).fill;
    function readUInt32BE(buf, offset) {
      return buf[offset++] * 16777216 + buf[offset++] * 65536 + buf[offset++] * 256 + buf[offset];
    }
    function bufferCopy(src, dest, srcStart, srcEnd, destStart) {
      destStart || (destStart = 0), srcEnd > src.length && (srcEnd = src.length);
      let nb = srcEnd - srcStart, destLeft = dest.length - destStart;
      return nb > destLeft && (nb = destLeft), dest.set(
        new Uint8Array(src.buffer, src.byteOffset + srcStart, nb),
        destStart
      ), nb;
    }
    function bufferSlice(buf, start, end) {
      return end === void 0 && (end = buf.length), new FastBuffer(buf.buffer, buf.byteOffset + start, end - start);
    }
    function makeBufferParser() {
      let pos = 0, buffer, self2 = {
        init: (buf, start) => {
          buffer = buf, pos = typeof start == "number" ? start : 0;
        },
        pos: () => pos,
        length: () => buffer ? buffer.length : 0,
        avail: () => buffer && pos < buffer.length ? buffer.length - pos : 0,
        clear: () => {
          buffer = void 0;
        },
        readUInt32BE: () => {
          if (!(!buffer || pos + 3 >= buffer.length))
            return buffer[pos++] * 16777216 + buffer[pos++] * 65536 + buffer[pos++] * 256 + buffer[pos++];
        },
        readUInt64BE: (behavior) => {
          if (!(!buffer || pos + 7 >= buffer.length))
            switch (behavior) {
              case "always":
                return BigInt(`0x${buffer.hexSlice(pos, pos += 8)}`);
              case "maybe":
                if (buffer[pos] > 31)
                  return BigInt(`0x${buffer.hexSlice(pos, pos += 8)}`);
              // FALLTHROUGH
              default:
                return buffer[pos++] * 72057594037927940 + buffer[pos++] * 281474976710656 + buffer[pos++] * 1099511627776 + buffer[pos++] * 4294967296 + buffer[pos++] * 16777216 + buffer[pos++] * 65536 + buffer[pos++] * 256 + buffer[pos++];
            }
        },
        skip: (n) => {
          buffer && n > 0 && (pos += n);
        },
        skipString: () => {
          let len = self2.readUInt32BE();
          if (len !== void 0)
            return pos += len, pos <= buffer.length ? len : void 0;
        },
        readByte: () => {
          if (buffer && pos < buffer.length)
            return buffer[pos++];
        },
        readBool: () => {
          if (buffer && pos < buffer.length)
            return !!buffer[pos++];
        },
        readList: () => {
          let list = self2.readString(!0);
          if (list !== void 0)
            return list ? list.split(",") : [];
        },
        readString: (dest, maxLen) => {
          typeof dest == "number" && (maxLen = dest, dest = void 0);
          let len = self2.readUInt32BE();
          if (len !== void 0 && !(buffer.length - pos < len || typeof maxLen == "number" && len > maxLen))
            return dest ? Buffer.isBuffer(dest) ? bufferCopy(buffer, dest, pos, pos += len) : buffer.utf8Slice(pos, pos += len) : bufferSlice(buffer, pos, pos += len);
        },
        readRaw: (len) => {
          if (buffer) {
            if (typeof len != "number")
              return bufferSlice(buffer, pos, pos += buffer.length - pos);
            if (buffer.length - pos >= len)
              return bufferSlice(buffer, pos, pos += len);
          }
        }
      };
      return self2;
    }
    function makeError(msg, level, fatal) {
      let err = new Error(msg);
      return typeof level == "boolean" ? (fatal = level, err.level = "protocol") : err.level = level || "protocol", err.fatal = !!fatal, err;
    }
    function writeUInt32BE(buf, value, offset) {
      return buf[offset++] = value >>> 24, buf[offset++] = value >>> 16, buf[offset++] = value >>> 8, buf[offset++] = value, offset;
    }
    var utilBufferParser = makeBufferParser();
    module.exports = {
      bufferCopy,
      bufferSlice,
      FastBuffer,
      bufferFill: (buf, value, start, end) => TypedArrayFill.call(buf, value, start, end),
      makeError,
      doFatalError: (protocol, msg, level, reason) => {
        let err;
        return DISCONNECT_REASON === void 0 && ({ DISCONNECT_REASON } = require_constants()), msg instanceof Error ? (err = msg, typeof level != "number" ? reason = DISCONNECT_REASON.PROTOCOL_ERROR : reason = level) : err = makeError(msg, level, !0), typeof reason != "number" && (reason = DISCONNECT_REASON.PROTOCOL_ERROR), protocol.disconnect(reason), protocol._destruct(), protocol._onError(err), 1 / 0;
      },
      readUInt32BE,
      writeUInt32BE,
      writeUInt32LE: (buf, value, offset) => (buf[offset++] = value, buf[offset++] = value >>> 8, buf[offset++] = value >>> 16, buf[offset++] = value >>> 24, offset),
      makeBufferParser,
      bufferParser: makeBufferParser(),
      readString: (buffer, start, dest, maxLen) => {
        typeof dest == "number" && (maxLen = dest, dest = void 0), start === void 0 && (start = 0);
        let left = buffer.length - start;
        if (start < 0 || start >= buffer.length || left < 4)
          return;
        let len = readUInt32BE(buffer, start);
        if (left < 4 + len || typeof maxLen == "number" && len > maxLen)
          return;
        start += 4;
        let end = start + len;
        return buffer._pos = end, dest ? Buffer.isBuffer(dest) ? bufferCopy(buffer, dest, start, end) : buffer.utf8Slice(start, end) : bufferSlice(buffer, start, end);
      },
      sigSSHToASN1: (sig, type) => {
        switch (type) {
          case "ssh-dss": {
            if (sig.length > 40)
              return sig;
            let asnWriter = new Ber.Writer();
            asnWriter.startSequence();
            let r = sig.slice(0, 20), s = sig.slice(20);
            if (r[0] & 128) {
              let rNew = Buffer.allocUnsafe(21);
              rNew[0] = 0, r.copy(rNew, 1), r = rNew;
            } else r[0] === 0 && !(r[1] & 128) && (r = r.slice(1));
            if (s[0] & 128) {
              let sNew = Buffer.allocUnsafe(21);
              sNew[0] = 0, s.copy(sNew, 1), s = sNew;
            } else s[0] === 0 && !(s[1] & 128) && (s = s.slice(1));
            return asnWriter.writeBuffer(r, Ber.Integer), asnWriter.writeBuffer(s, Ber.Integer), asnWriter.endSequence(), asnWriter.buffer;
          }
          case "ecdsa-sha2-nistp256":
          case "ecdsa-sha2-nistp384":
          case "ecdsa-sha2-nistp521": {
            utilBufferParser.init(sig, 0);
            let r = utilBufferParser.readString(), s = utilBufferParser.readString();
            if (utilBufferParser.clear(), r === void 0 || s === void 0)
              return;
            let asnWriter = new Ber.Writer();
            return asnWriter.startSequence(), asnWriter.writeBuffer(r, Ber.Integer), asnWriter.writeBuffer(s, Ber.Integer), asnWriter.endSequence(), asnWriter.buffer;
          }
          default:
            return sig;
        }
      },
      convertSignature: (signature, keyType) => {
        switch (keyType) {
          case "ssh-dss": {
            if (signature.length <= 40)
              return signature;
            let asnReader = new Ber.Reader(signature);
            asnReader.readSequence();
            let r = asnReader.readString(Ber.Integer, !0), s = asnReader.readString(Ber.Integer, !0), rOffset = 0, sOffset = 0;
            if (r.length < 20) {
              let rNew = Buffer.allocUnsafe(20);
              rNew.set(r, 1), r = rNew, r[0] = 0;
            }
            if (s.length < 20) {
              let sNew = Buffer.allocUnsafe(20);
              sNew.set(s, 1), s = sNew, s[0] = 0;
            }
            r.length > 20 && r[0] === 0 && (rOffset = 1), s.length > 20 && s[0] === 0 && (sOffset = 1);
            let newSig = Buffer.allocUnsafe(r.length - rOffset + (s.length - sOffset));
            return bufferCopy(r, newSig, rOffset, r.length, 0), bufferCopy(s, newSig, sOffset, s.length, r.length - rOffset), newSig;
          }
          case "ecdsa-sha2-nistp256":
          case "ecdsa-sha2-nistp384":
          case "ecdsa-sha2-nistp521": {
            if (signature[0] === 0)
              return signature;
            let asnReader = new Ber.Reader(signature);
            asnReader.readSequence();
            let r = asnReader.readString(Ber.Integer, !0), s = asnReader.readString(Ber.Integer, !0);
            if (r === null || s === null)
              return;
            let newSig = Buffer.allocUnsafe(4 + r.length + 4 + s.length);
            return writeUInt32BE(newSig, r.length, 0), newSig.set(r, 4), writeUInt32BE(newSig, s.length, 4 + r.length), newSig.set(s, 8 + r.length), newSig;
          }
        }
        return signature;
      },
      sendPacket: (proto, packet, bypass) => !bypass && proto._kexinit !== void 0 ? (proto._queue === void 0 && (proto._queue = []), proto._queue.push(packet), proto._debug && proto._debug("Outbound: ... packet queued"), !1) : (proto._cipher.encrypt(packet), !0)
    };
  }
});

// node_modules/ssh2/lib/protocol/crypto/poly1305.js
var require_poly1305 = __commonJS({
  "node_modules/ssh2/lib/protocol/crypto/poly1305.js"(exports, module) {
    var createPoly1305 = (function() {
      var _scriptDir = typeof document < "u" && document.currentScript ? document.currentScript.src : void 0;
      return typeof __filename < "u" && (_scriptDir = _scriptDir || __filename), (function(createPoly13052) {
        createPoly13052 = createPoly13052 || {};
        var b;
        b || (b = typeof createPoly13052 < "u" ? createPoly13052 : {});
        var q, r;
        b.ready = new Promise(function(a, c) {
          q = a, r = c;
        });
        var u = {}, w;
        for (w in b) b.hasOwnProperty(w) && (u[w] = b[w]);
        var x = typeof window == "object", y = typeof importScripts == "function", z = typeof process == "object" && typeof process.versions == "object" && typeof process.versions.node == "string", B = "", C, D, E, F, G;
        z ? (B = y ? __require("path").dirname(B) + "/" : __dirname + "/", C = function(a, c) {
          var d = H(a);
          return d ? c ? d : d.toString() : (F || (F = __require("fs")), G || (G = __require("path")), a = G.normalize(a), F.readFileSync(a, c ? null : "utf8"));
        }, E = function(a) {
          return a = C(a, !0), a.buffer || (a = new Uint8Array(a)), assert(a.buffer), a;
        }, D = function(a, c, d) {
          var e = H(a);
          e && c(e), F || (F = __require("fs")), G || (G = __require("path")), a = G.normalize(a), F.readFile(a, function(f, l) {
            f ? d(f) : c(l.buffer);
          });
        }, 1 < process.argv.length && process.argv[1].replace(/\\/g, "/"), process.argv.slice(2), b.inspect = function() {
          return "[Emscripten Module object]";
        }) : (x || y) && (y ? B = self.location.href : typeof document < "u" && document.currentScript && (B = document.currentScript.src), _scriptDir && (B = _scriptDir), B.indexOf("blob:") !== 0 ? B = B.substr(0, B.lastIndexOf("/") + 1) : B = "", C = function(a) {
          try {
            var c = new XMLHttpRequest();
            return c.open("GET", a, !1), c.send(null), c.responseText;
          } catch (f) {
            if (a = H(a)) {
              c = [];
              for (var d = 0; d < a.length; d++) {
                var e = a[d];
                255 < e && (ba && assert(!1, "Character code " + e + " (" + String.fromCharCode(e) + ")  at offset " + d + " not in 0x00-0xFF."), e &= 255), c.push(String.fromCharCode(e));
              }
              return c.join("");
            }
            throw f;
          }
        }, y && (E = function(a) {
          try {
            var c = new XMLHttpRequest();
            return c.open("GET", a, !1), c.responseType = "arraybuffer", c.send(null), new Uint8Array(c.response);
          } catch (d) {
            if (a = H(a)) return a;
            throw d;
          }
        }), D = function(a, c, d) {
          var e = new XMLHttpRequest();
          e.open("GET", a, !0), e.responseType = "arraybuffer", e.onload = function() {
            if (e.status == 200 || e.status == 0 && e.response) c(e.response);
            else {
              var f = H(a);
              f ? c(f.buffer) : d();
            }
          }, e.onerror = d, e.send(null);
        }), b.print || console.log.bind(console);
        var I = b.printErr || console.warn.bind(console);
        for (w in u) u.hasOwnProperty(w) && (b[w] = u[w]);
        u = null;
        var J;
        b.wasmBinary && (J = b.wasmBinary);
        var noExitRuntime = b.noExitRuntime || !0;
        typeof WebAssembly != "object" && K("no native wasm support detected");
        var L, M = !1;
        function assert(a, c) {
          a || K("Assertion failed: " + c);
        }
        function N(a) {
          var c = b["_" + a];
          return assert(c, "Cannot call unknown function " + a + ", make sure it is exported"), c;
        }
        function ca(a, c, d, e) {
          var f = { string: function(g) {
            var p = 0;
            if (g != null && g !== 0) {
              var n = (g.length << 2) + 1;
              p = O(n);
              var k = p, h = P;
              if (0 < n) {
                n = k + n - 1;
                for (var v = 0; v < g.length; ++v) {
                  var m = g.charCodeAt(v);
                  if (55296 <= m && 57343 >= m) {
                    var oa = g.charCodeAt(++v);
                    m = 65536 + ((m & 1023) << 10) | oa & 1023;
                  }
                  if (127 >= m) {
                    if (k >= n) break;
                    h[k++] = m;
                  } else {
                    if (2047 >= m) {
                      if (k + 1 >= n) break;
                      h[k++] = 192 | m >> 6;
                    } else {
                      if (65535 >= m) {
                        if (k + 2 >= n) break;
                        h[k++] = 224 | m >> 12;
                      } else {
                        if (k + 3 >= n) break;
                        h[k++] = 240 | m >> 18, h[k++] = 128 | m >> 12 & 63;
                      }
                      h[k++] = 128 | m >> 6 & 63;
                    }
                    h[k++] = 128 | m & 63;
                  }
                }
                h[k] = 0;
              }
            }
            return p;
          }, array: function(g) {
            var p = O(g.length);
            return Q.set(g, p), p;
          } }, l = N(a), A = [];
          if (a = 0, e) for (var t = 0; t < e.length; t++) {
            var aa = f[d[t]];
            aa ? (a === 0 && (a = da()), A[t] = aa(e[t])) : A[t] = e[t];
          }
          return d = l.apply(null, A), d = (function(g) {
            if (c === "string") if (g) {
              for (var p = P, n = g + NaN, k = g; p[k] && !(k >= n); ) ++k;
              if (16 < k - g && p.subarray && ea) g = ea.decode(p.subarray(g, k));
              else {
                for (n = ""; g < k; ) {
                  var h = p[g++];
                  if (h & 128) {
                    var v = p[g++] & 63;
                    if ((h & 224) == 192) n += String.fromCharCode((h & 31) << 6 | v);
                    else {
                      var m = p[g++] & 63;
                      h = (h & 240) == 224 ? (h & 15) << 12 | v << 6 | m : (h & 7) << 18 | v << 12 | m << 6 | p[g++] & 63, 65536 > h ? n += String.fromCharCode(h) : (h -= 65536, n += String.fromCharCode(55296 | h >> 10, 56320 | h & 1023));
                    }
                  } else n += String.fromCharCode(h);
                }
                g = n;
              }
            } else g = "";
            else g = c === "boolean" ? !!g : g;
            return g;
          })(d), a !== 0 && fa(a), d;
        }
        var ea = typeof TextDecoder < "u" ? new TextDecoder("utf8") : void 0, ha, Q, P;
        function ia() {
          var a = L.buffer;
          ha = a, b.HEAP8 = Q = new Int8Array(a), b.HEAP16 = new Int16Array(a), b.HEAP32 = new Int32Array(a), b.HEAPU8 = P = new Uint8Array(a), b.HEAPU16 = new Uint16Array(a), b.HEAPU32 = new Uint32Array(a), b.HEAPF32 = new Float32Array(a), b.HEAPF64 = new Float64Array(a);
        }
        var R, ja = [], ka = [], la = [];
        function ma() {
          var a = b.preRun.shift();
          ja.unshift(a);
        }
        var S = 0, T = null, U = null;
        b.preloadedImages = {}, b.preloadedAudios = {};
        function K(a) {
          throw b.onAbort && b.onAbort(a), I(a), M = !0, a = new WebAssembly.RuntimeError("abort(" + a + "). Build with -s ASSERTIONS=1 for more info."), r(a), a;
        }
        var V2 = "data:application/octet-stream;base64,", W;
        if (W = "data:application/octet-stream;base64,AGFzbQEAAAABIAZgAX8Bf2ADf39/AGABfwBgAABgAAF/YAZ/f39/f38AAgcBAWEBYQAAAwsKAAEDAQAAAgQFAgQFAXABAQEFBwEBgAKAgAIGCQF/AUGAjMACCwclCQFiAgABYwADAWQACQFlAAgBZgAHAWcABgFoAAUBaQAKAWoBAAqGTQpPAQJ/QYAIKAIAIgEgAEEDakF8cSICaiEAAkAgAkEAIAAgAU0bDQAgAD8AQRB0SwRAIAAQAEUNAQtBgAggADYCACABDwtBhAhBMDYCAEF/C4wFAg5+Cn8gACgCJCEUIAAoAiAhFSAAKAIcIREgACgCGCESIAAoAhQhEyACQRBPBEAgAC0ATEVBGHQhFyAAKAIEIhZBBWytIQ8gACgCCCIYQQVsrSENIAAoAgwiGUEFbK0hCyAAKAIQIhpBBWytIQkgADUCACEIIBqtIRAgGa0hDiAYrSEMIBatIQoDQCASIAEtAAMiEiABLQAEQQh0ciABLQAFQRB0ciABLQAGIhZBGHRyQQJ2Qf///x9xaq0iAyAOfiABLwAAIAEtAAJBEHRyIBNqIBJBGHRBgICAGHFqrSIEIBB+fCARIAEtAAdBCHQgFnIgAS0ACEEQdHIgAS0ACSIRQRh0ckEEdkH///8fcWqtIgUgDH58IAEtAApBCHQgEXIgAS0AC0EQdHIgAS0ADEEYdHJBBnYgFWqtIgYgCn58IBQgF2ogAS8ADSABLQAPQRB0cmqtIgcgCH58IAMgDH4gBCAOfnwgBSAKfnwgBiAIfnwgByAJfnwgAyAKfiAEIAx+fCAFIAh+fCAGIAl+fCAHIAt+fCADIAh+IAQgCn58IAUgCX58IAYgC358IAcgDX58IAMgCX4gBCAIfnwgBSALfnwgBiANfnwgByAPfnwiA0IaiEL/////D4N8IgRCGohC/////w+DfCIFQhqIQv////8Pg3wiBkIaiEL/////D4N8IgdCGoinQQVsIAOnQf///x9xaiITQRp2IASnQf///x9xaiESIAWnQf///x9xIREgBqdB////H3EhFSAHp0H///8fcSEUIBNB////H3EhEyABQRBqIQEgAkEQayICQQ9LDQALCyAAIBQ2AiQgACAVNgIgIAAgETYCHCAAIBI2AhggACATNgIUCwMAAQu2BAEGfwJAIAAoAjgiBARAIABBPGohBQJAIAJBECAEayIDIAIgA0kbIgZFDQAgBkEDcSEHAkAgBkEBa0EDSQRAQQAhAwwBCyAGQXxxIQhBACEDA0AgBSADIARqaiABIANqLQAAOgAAIAUgA0EBciIEIAAoAjhqaiABIARqLQAAOgAAIAUgA0ECciIEIAAoAjhqaiABIARqLQAAOgAAIAUgA0EDciIEIAAoAjhqaiABIARqLQAAOgAAIANBBGohAyAAKAI4IQQgCEEEayIIDQALCyAHRQ0AA0AgBSADIARqaiABIANqLQAAOgAAIANBAWohAyAAKAI4IQQgB0EBayIHDQALCyAAIAQgBmoiAzYCOCADQRBJDQEgACAFQRAQAiAAQQA2AjggAiAGayECIAEgBmohAQsgAkEQTwRAIAAgASACQXBxIgMQAiACQQ9xIQIgASADaiEBCyACRQ0AIAJBA3EhBCAAQTxqIQVBACEDIAJBAWtBA08EQCACQXxxIQcDQCAFIAAoAjggA2pqIAEgA2otAAA6AAAgBSADQQFyIgYgACgCOGpqIAEgBmotAAA6AAAgBSADQQJyIgYgACgCOGpqIAEgBmotAAA6AAAgBSADQQNyIgYgACgCOGpqIAEgBmotAAA6AAAgA0EEaiEDIAdBBGsiBw0ACwsgBARAA0AgBSAAKAI4IANqaiABIANqLQAAOgAAIANBAWohAyAEQQFrIgQNAAsLIAAgACgCOCACajYCOAsLoS0BDH8jAEEQayIMJAACQAJAAkACQAJAAkACQAJAAkACQAJAAkAgAEH0AU0EQEGICCgCACIFQRAgAEELakF4cSAAQQtJGyIIQQN2IgJ2IgFBA3EEQCABQX9zQQFxIAJqIgNBA3QiAUG4CGooAgAiBEEIaiEAAkAgBCgCCCICIAFBsAhqIgFGBEBBiAggBUF+IAN3cTYCAAwBCyACIAE2AgwgASACNgIICyAEIANBA3QiAUEDcjYCBCABIARqIgEgASgCBEEBcjYCBAwNCyAIQZAIKAIAIgpNDQEgAQRAAkBBAiACdCIAQQAgAGtyIAEgAnRxIgBBACAAa3FBAWsiACAAQQx2QRBxIgJ2IgFBBXZBCHEiACACciABIAB2IgFBAnZBBHEiAHIgASAAdiIBQQF2QQJxIgByIAEgAHYiAUEBdkEBcSIAciABIAB2aiIDQQN0IgBBuAhqKAIAIgQoAggiASAAQbAIaiIARgRAQYgIIAVBfiADd3EiBTYCAAwBCyABIAA2AgwgACABNgIICyAEQQhqIQAgBCAIQQNyNgIEIAQgCGoiAiADQQN0IgEgCGsiA0EBcjYCBCABIARqIAM2AgAgCgRAIApBA3YiAUEDdEGwCGohB0GcCCgCACEEAn8gBUEBIAF0IgFxRQRAQYgIIAEgBXI2AgAgBwwBCyAHKAIICyEBIAcgBDYCCCABIAQ2AgwgBCAHNgIMIAQgATYCCAtBnAggAjYCAEGQCCADNgIADA0LQYwIKAIAIgZFDQEgBkEAIAZrcUEBayIAIABBDHZBEHEiAnYiAUEFdkEIcSIAIAJyIAEgAHYiAUECdkEEcSIAciABIAB2IgFBAXZBAnEiAHIgASAAdiIBQQF2QQFxIgByIAEgAHZqQQJ0QbgKaigCACIBKAIEQXhxIAhrIQMgASECA0ACQCACKAIQIgBFBEAgAigCFCIARQ0BCyAAKAIEQXhxIAhrIgIgAyACIANJIgIbIQMgACABIAIbIQEgACECDAELCyABIAhqIgkgAU0NAiABKAIYIQsgASABKAIMIgRHBEAgASgCCCIAQZgIKAIASRogACAENgIMIAQgADYCCAwMCyABQRRqIgIoAgAiAEUEQCABKAIQIgBFDQQgAUEQaiECCwNAIAIhByAAIgRBFGoiAigCACIADQAgBEEQaiECIAQoAhAiAA0ACyAHQQA2AgAMCwtBfyEIIABBv39LDQAgAEELaiIAQXhxIQhBjAgoAgAiCUUNAEEAIAhrIQMCQAJAAkACf0EAIAhBgAJJDQAaQR8gCEH///8HSw0AGiAAQQh2IgAgAEGA/j9qQRB2QQhxIgJ0IgAgAEGA4B9qQRB2QQRxIgF0IgAgAEGAgA9qQRB2QQJxIgB0QQ92IAEgAnIgAHJrIgBBAXQgCCAAQRVqdkEBcXJBHGoLIgVBAnRBuApqKAIAIgJFBEBBACEADAELQQAhACAIQQBBGSAFQQF2ayAFQR9GG3QhAQNAAkAgAigCBEF4cSAIayIHIANPDQAgAiEEIAciAw0AQQAhAyACIQAMAwsgACACKAIUIgcgByACIAFBHXZBBHFqKAIQIgJGGyAAIAcbIQAgAUEBdCEBIAINAAsLIAAgBHJFBEBBACEEQQIgBXQiAEEAIABrciAJcSIARQ0DIABBACAAa3FBAWsiACAAQQx2QRBxIgJ2IgFBBXZBCHEiACACciABIAB2IgFBAnZBBHEiAHIgASAAdiIBQQF2QQJxIgByIAEgAHYiAUEBdkEBcSIAciABIAB2akECdEG4CmooAgAhAAsgAEUNAQsDQCAAKAIEQXhxIAhrIgEgA0khAiABIAMgAhshAyAAIAQgAhshBCAAKAIQIgEEfyABBSAAKAIUCyIADQALCyAERQ0AIANBkAgoAgAgCGtPDQAgBCAIaiIGIARNDQEgBCgCGCEFIAQgBCgCDCIBRwRAIAQoAggiAEGYCCgCAEkaIAAgATYCDCABIAA2AggMCgsgBEEUaiICKAIAIgBFBEAgBCgCECIARQ0EIARBEGohAgsDQCACIQcgACIBQRRqIgIoAgAiAA0AIAFBEGohAiABKAIQIgANAAsgB0EANgIADAkLIAhBkAgoAgAiAk0EQEGcCCgCACEDAkAgAiAIayIBQRBPBEBBkAggATYCAEGcCCADIAhqIgA2AgAgACABQQFyNgIEIAIgA2ogATYCACADIAhBA3I2AgQMAQtBnAhBADYCAEGQCEEANgIAIAMgAkEDcjYCBCACIANqIgAgACgCBEEBcjYCBAsgA0EIaiEADAsLIAhBlAgoAgAiBkkEQEGUCCAGIAhrIgE2AgBBoAhBoAgoAgAiAiAIaiIANgIAIAAgAUEBcjYCBCACIAhBA3I2AgQgAkEIaiEADAsLQQAhACAIQS9qIgkCf0HgCygCAARAQegLKAIADAELQewLQn83AgBB5AtCgKCAgICABDcCAEHgCyAMQQxqQXBxQdiq1aoFczYCAEH0C0EANgIAQcQLQQA2AgBBgCALIgFqIgVBACABayIHcSICIAhNDQpBwAsoAgAiBARAQbgLKAIAIgMgAmoiASADTQ0LIAEgBEsNCwtBxAstAABBBHENBQJAAkBBoAgoAgAiAwRAQcgLIQADQCADIAAoAgAiAU8EQCABIAAoAgRqIANLDQMLIAAoAggiAA0ACwtBABABIgFBf0YNBiACIQVB5AsoAgAiA0EBayIAIAFxBEAgAiABayAAIAFqQQAgA2txaiEFCyAFIAhNDQYgBUH+////B0sNBkHACygCACIEBEBBuAsoAgAiAyAFaiIAIANNDQcgACAESw0HCyAFEAEiACABRw0BDAgLIAUgBmsgB3EiBUH+////B0sNBSAFEAEiASAAKAIAIAAoAgRqRg0EIAEhAAsCQCAAQX9GDQAgCEEwaiAFTQ0AQegLKAIAIgEgCSAFa2pBACABa3EiAUH+////B0sEQCAAIQEMCAsgARABQX9HBEAgASAFaiEFIAAhAQwIC0EAIAVrEAEaDAULIAAiAUF/Rw0GDAQLAAtBACEEDAcLQQAhAQwFCyABQX9HDQILQcQLQcQLKAIAQQRyNgIACyACQf7///8HSw0BIAIQASEBQQAQASEAIAFBf0YNASAAQX9GDQEgACABTQ0BIAAgAWsiBSAIQShqTQ0BC0G4C0G4CygCACAFaiIANgIAQbwLKAIAIABJBEBBvAsgADYCAAsCQAJAAkBBoAgoAgAiBwRAQcgLIQADQCABIAAoAgAiAyAAKAIEIgJqRg0CIAAoAggiAA0ACwwCC0GYCCgCACIAQQAgACABTRtFBEBBmAggATYCAAtBACEAQcwLIAU2AgBByAsgATYCAEGoCEF/NgIAQawIQeALKAIANgIAQdQLQQA2AgADQCAAQQN0IgNBuAhqIANBsAhqIgI2AgAgA0G8CGogAjYCACAAQQFqIgBBIEcNAAtBlAggBUEoayIDQXggAWtBB3FBACABQQhqQQdxGyIAayICNgIAQaAIIAAgAWoiADYCACAAIAJBAXI2AgQgASADakEoNgIEQaQIQfALKAIANgIADAILIAAtAAxBCHENACADIAdLDQAgASAHTQ0AIAAgAiAFajYCBEGgCCAHQXggB2tBB3FBACAHQQhqQQdxGyIAaiICNgIAQZQIQZQIKAIAIAVqIgEgAGsiADYCACACIABBAXI2AgQgASAHakEoNgIEQaQIQfALKAIANgIADAELQZgIKAIAIAFLBEBBmAggATYCAAsgASAFaiECQcgLIQACQAJAAkACQAJAAkADQCACIAAoAgBHBEAgACgCCCIADQEMAgsLIAAtAAxBCHFFDQELQcgLIQADQCAHIAAoAgAiAk8EQCACIAAoAgRqIgQgB0sNAwsgACgCCCEADAALAAsgACABNgIAIAAgACgCBCAFajYCBCABQXggAWtBB3FBACABQQhqQQdxG2oiCSAIQQNyNgIEIAJBeCACa0EHcUEAIAJBCGpBB3EbaiIFIAggCWoiBmshAiAFIAdGBEBBoAggBjYCAEGUCEGUCCgCACACaiIANgIAIAYgAEEBcjYCBAwDCyAFQZwIKAIARgRAQZwIIAY2AgBBkAhBkAgoAgAgAmoiADYCACAGIABBAXI2AgQgACAGaiAANgIADAMLIAUoAgQiAEEDcUEBRgRAIABBeHEhBwJAIABB/wFNBEAgBSgCCCIDIABBA3YiAEEDdEGwCGpGGiADIAUoAgwiAUYEQEGICEGICCgCAEF+IAB3cTYCAAwCCyADIAE2AgwgASADNgIIDAELIAUoAhghCAJAIAUgBSgCDCIBRwRAIAUoAggiACABNgIMIAEgADYCCAwBCwJAIAVBFGoiACgCACIDDQAgBUEQaiIAKAIAIgMNAEEAIQEMAQsDQCAAIQQgAyIBQRRqIgAoAgAiAw0AIAFBEGohACABKAIQIgMNAAsgBEEANgIACyAIRQ0AAkAgBSAFKAIcIgNBAnRBuApqIgAoAgBGBEAgACABNgIAIAENAUGMCEGMCCgCAEF+IAN3cTYCAAwCCyAIQRBBFCAIKAIQIAVGG2ogATYCACABRQ0BCyABIAg2AhggBSgCECIABEAgASAANgIQIAAgATYCGAsgBSgCFCIARQ0AIAEgADYCFCAAIAE2AhgLIAUgB2ohBSACIAdqIQILIAUgBSgCBEF+cTYCBCAGIAJBAXI2AgQgAiAGaiACNgIAIAJB/wFNBEAgAkEDdiIAQQN0QbAIaiECAn9BiAgoAgAiAUEBIAB0IgBxRQRAQYgIIAAgAXI2AgAgAgwBCyACKAIICyEAIAIgBjYCCCAAIAY2AgwgBiACNgIMIAYgADYCCAwDC0EfIQAgAkH///8HTQRAIAJBCHYiACAAQYD+P2pBEHZBCHEiA3QiACAAQYDgH2pBEHZBBHEiAXQiACAAQYCAD2pBEHZBAnEiAHRBD3YgASADciAAcmsiAEEBdCACIABBFWp2QQFxckEcaiEACyAGIAA2AhwgBkIANwIQIABBAnRBuApqIQQCQEGMCCgCACIDQQEgAHQiAXFFBEBBjAggASADcjYCACAEIAY2AgAgBiAENgIYDAELIAJBAEEZIABBAXZrIABBH0YbdCEAIAQoAgAhAQNAIAEiAygCBEF4cSACRg0DIABBHXYhASAAQQF0IQAgAyABQQRxaiIEKAIQIgENAAsgBCAGNgIQIAYgAzYCGAsgBiAGNgIMIAYgBjYCCAwCC0GUCCAFQShrIgNBeCABa0EHcUEAIAFBCGpBB3EbIgBrIgI2AgBBoAggACABaiIANgIAIAAgAkEBcjYCBCABIANqQSg2AgRBpAhB8AsoAgA2AgAgByAEQScgBGtBB3FBACAEQSdrQQdxG2pBL2siACAAIAdBEGpJGyICQRs2AgQgAkHQCykCADcCECACQcgLKQIANwIIQdALIAJBCGo2AgBBzAsgBTYCAEHICyABNgIAQdQLQQA2AgAgAkEYaiEAA0AgAEEHNgIEIABBCGohASAAQQRqIQAgASAESQ0ACyACIAdGDQMgAiACKAIEQX5xNgIEIAcgAiAHayIEQQFyNgIEIAIgBDYCACAEQf8BTQRAIARBA3YiAEEDdEGwCGohAgJ/QYgIKAIAIgFBASAAdCIAcUUEQEGICCAAIAFyNgIAIAIMAQsgAigCCAshACACIAc2AgggACAHNgIMIAcgAjYCDCAHIAA2AggMBAtBHyEAIAdCADcCECAEQf///wdNBEAgBEEIdiIAIABBgP4/akEQdkEIcSICdCIAIABBgOAfakEQdkEEcSIBdCIAIABBgIAPakEQdkECcSIAdEEPdiABIAJyIAByayIAQQF0IAQgAEEVanZBAXFyQRxqIQALIAcgADYCHCAAQQJ0QbgKaiEDAkBBjAgoAgAiAkEBIAB0IgFxRQRAQYwIIAEgAnI2AgAgAyAHNgIAIAcgAzYCGAwBCyAEQQBBGSAAQQF2ayAAQR9GG3QhACADKAIAIQEDQCABIgIoAgRBeHEgBEYNBCAAQR12IQEgAEEBdCEAIAIgAUEEcWoiAygCECIBDQALIAMgBzYCECAHIAI2AhgLIAcgBzYCDCAHIAc2AggMAwsgAygCCCIAIAY2AgwgAyAGNgIIIAZBADYCGCAGIAM2AgwgBiAANgIICyAJQQhqIQAMBQsgAigCCCIAIAc2AgwgAiAHNgIIIAdBADYCGCAHIAI2AgwgByAANgIIC0GUCCgCACIAIAhNDQBBlAggACAIayIBNgIAQaAIQaAIKAIAIgIgCGoiADYCACAAIAFBAXI2AgQgAiAIQQNyNgIEIAJBCGohAAwDC0GECEEwNgIAQQAhAAwCCwJAIAVFDQACQCAEKAIcIgJBAnRBuApqIgAoAgAgBEYEQCAAIAE2AgAgAQ0BQYwIIAlBfiACd3EiCTYCAAwCCyAFQRBBFCAFKAIQIARGG2ogATYCACABRQ0BCyABIAU2AhggBCgCECIABEAgASAANgIQIAAgATYCGAsgBCgCFCIARQ0AIAEgADYCFCAAIAE2AhgLAkAgA0EPTQRAIAQgAyAIaiIAQQNyNgIEIAAgBGoiACAAKAIEQQFyNgIEDAELIAQgCEEDcjYCBCAGIANBAXI2AgQgAyAGaiADNgIAIANB/wFNBEAgA0EDdiIAQQN0QbAIaiECAn9BiAgoAgAiAUEBIAB0IgBxRQRAQYgIIAAgAXI2AgAgAgwBCyACKAIICyEAIAIgBjYCCCAAIAY2AgwgBiACNgIMIAYgADYCCAwBC0EfIQAgA0H///8HTQRAIANBCHYiACAAQYD+P2pBEHZBCHEiAnQiACAAQYDgH2pBEHZBBHEiAXQiACAAQYCAD2pBEHZBAnEiAHRBD3YgASACciAAcmsiAEEBdCADIABBFWp2QQFxckEcaiEACyAGIAA2AhwgBkIANwIQIABBAnRBuApqIQICQAJAIAlBASAAdCIBcUUEQEGMCCABIAlyNgIAIAIgBjYCACAGIAI2AhgMAQsgA0EAQRkgAEEBdmsgAEEfRht0IQAgAigCACEIA0AgCCIBKAIEQXhxIANGDQIgAEEddiECIABBAXQhACABIAJBBHFqIgIoAhAiCA0ACyACIAY2AhAgBiABNgIYCyAGIAY2AgwgBiAGNgIIDAELIAEoAggiACAGNgIMIAEgBjYCCCAGQQA2AhggBiABNgIMIAYgADYCCAsgBEEIaiEADAELAkAgC0UNAAJAIAEoAhwiAkECdEG4CmoiACgCACABRgRAIAAgBDYCACAEDQFBjAggBkF+IAJ3cTYCAAwCCyALQRBBFCALKAIQIAFGG2ogBDYCACAERQ0BCyAEIAs2AhggASgCECIABEAgBCAANgIQIAAgBDYCGAsgASgCFCIARQ0AIAQgADYCFCAAIAQ2AhgLAkAgA0EPTQRAIAEgAyAIaiIAQQNyNgIEIAAgAWoiACAAKAIEQQFyNgIEDAELIAEgCEEDcjYCBCAJIANBAXI2AgQgAyAJaiADNgIAIAoEQCAKQQN2IgBBA3RBsAhqIQRBnAgoAgAhAgJ/QQEgAHQiACAFcUUEQEGICCAAIAVyNgIAIAQMAQsgBCgCCAshACAEIAI2AgggACACNgIMIAIgBDYCDCACIAA2AggLQZwIIAk2AgBBkAggAzYCAAsgAUEIaiEACyAMQRBqJAAgAAsQACMAIABrQXBxIgAkACAACwYAIAAkAAsEACMAC4AJAgh/BH4jAEGQAWsiBiQAIAYgBS0AA0EYdEGAgIAYcSAFLwAAIAUtAAJBEHRycjYCACAGIAUoAANBAnZBg/7/H3E2AgQgBiAFKAAGQQR2Qf+B/x9xNgIIIAYgBSgACUEGdkH//8AfcTYCDCAFLwANIQggBS0ADyEJIAZCADcCFCAGQgA3AhwgBkEANgIkIAYgCCAJQRB0QYCAPHFyNgIQIAYgBSgAEDYCKCAGIAUoABQ2AiwgBiAFKAAYNgIwIAUoABwhBSAGQQA6AEwgBkEANgI4IAYgBTYCNCAGIAEgAhAEIAQEQCAGIAMgBBAECyAGKAI4IgEEQCAGQTxqIgIgAWpBAToAACABQQFqQQ9NBEAgASAGakE9aiEEAkBBDyABayIDRQ0AIAMgBGoiAUEBa0EAOgAAIARBADoAACADQQNJDQAgAUECa0EAOgAAIARBADoAASABQQNrQQA6AAAgBEEAOgACIANBB0kNACABQQRrQQA6AAAgBEEAOgADIANBCUkNACAEQQAgBGtBA3EiAWoiBEEANgIAIAQgAyABa0F8cSIBaiIDQQRrQQA2AgAgAUEJSQ0AIARBADYCCCAEQQA2AgQgA0EIa0EANgIAIANBDGtBADYCACABQRlJDQAgBEEANgIYIARBADYCFCAEQQA2AhAgBEEANgIMIANBEGtBADYCACADQRRrQQA2AgAgA0EYa0EANgIAIANBHGtBADYCACABIARBBHFBGHIiAWsiA0EgSQ0AIAEgBGohAQNAIAFCADcDGCABQgA3AxAgAUIANwMIIAFCADcDACABQSBqIQEgA0EgayIDQR9LDQALCwsgBkEBOgBMIAYgAkEQEAILIAY1AjQhECAGNQIwIREgBjUCLCEOIAAgBjUCKCAGKAIkIAYoAiAgBigCHCAGKAIYIgNBGnZqIgJBGnZqIgFBGnZqIgtBgICAYHIgAUH///8fcSINIAJB////H3EiCCAGKAIUIAtBGnZBBWxqIgFB////H3EiCUEFaiIFQRp2IANB////H3EgAUEadmoiA2oiAUEadmoiAkEadmoiBEEadmoiDEEfdSIHIANxIAEgDEEfdkEBayIDQf///x9xIgpxciIBQRp0IAUgCnEgByAJcXJyrXwiDzwAACAAIA9CGIg8AAMgACAPQhCIPAACIAAgD0IIiDwAASAAIA4gByAIcSACIApxciICQRR0IAFBBnZyrXwgD0IgiHwiDjwABCAAIA5CGIg8AAcgACAOQhCIPAAGIAAgDkIIiDwABSAAIBEgByANcSAEIApxciIBQQ50IAJBDHZyrXwgDkIgiHwiDjwACCAAIA5CGIg8AAsgACAOQhCIPAAKIAAgDkIIiDwACSAAIBAgAyAMcSAHIAtxckEIdCABQRJ2cq18IA5CIIh8Ig48AAwgACAOQhiIPAAPIAAgDkIQiDwADiAAIA5CCIg8AA0gBkIANwIwIAZCADcCKCAGQgA3AiAgBkIANwIYIAZCADcCECAGQgA3AgggBkIANwIAIAZBkAFqJAALpwwBB38CQCAARQ0AIABBCGsiAyAAQQRrKAIAIgFBeHEiAGohBQJAIAFBAXENACABQQNxRQ0BIAMgAygCACIBayIDQZgIKAIASQ0BIAAgAWohACADQZwIKAIARwRAIAFB/wFNBEAgAygCCCICIAFBA3YiBEEDdEGwCGpGGiACIAMoAgwiAUYEQEGICEGICCgCAEF+IAR3cTYCAAwDCyACIAE2AgwgASACNgIIDAILIAMoAhghBgJAIAMgAygCDCIBRwRAIAMoAggiAiABNgIMIAEgAjYCCAwBCwJAIANBFGoiAigCACIEDQAgA0EQaiICKAIAIgQNAEEAIQEMAQsDQCACIQcgBCIBQRRqIgIoAgAiBA0AIAFBEGohAiABKAIQIgQNAAsgB0EANgIACyAGRQ0BAkAgAyADKAIcIgJBAnRBuApqIgQoAgBGBEAgBCABNgIAIAENAUGMCEGMCCgCAEF+IAJ3cTYCAAwDCyAGQRBBFCAGKAIQIANGG2ogATYCACABRQ0CCyABIAY2AhggAygCECICBEAgASACNgIQIAIgATYCGAsgAygCFCICRQ0BIAEgAjYCFCACIAE2AhgMAQsgBSgCBCIBQQNxQQNHDQBBkAggADYCACAFIAFBfnE2AgQgAyAAQQFyNgIEIAAgA2ogADYCAA8LIAMgBU8NACAFKAIEIgFBAXFFDQACQCABQQJxRQRAIAVBoAgoAgBGBEBBoAggAzYCAEGUCEGUCCgCACAAaiIANgIAIAMgAEEBcjYCBCADQZwIKAIARw0DQZAIQQA2AgBBnAhBADYCAA8LIAVBnAgoAgBGBEBBnAggAzYCAEGQCEGQCCgCACAAaiIANgIAIAMgAEEBcjYCBCAAIANqIAA2AgAPCyABQXhxIABqIQACQCABQf8BTQRAIAUoAggiAiABQQN2IgRBA3RBsAhqRhogAiAFKAIMIgFGBEBBiAhBiAgoAgBBfiAEd3E2AgAMAgsgAiABNgIMIAEgAjYCCAwBCyAFKAIYIQYCQCAFIAUoAgwiAUcEQCAFKAIIIgJBmAgoAgBJGiACIAE2AgwgASACNgIIDAELAkAgBUEUaiICKAIAIgQNACAFQRBqIgIoAgAiBA0AQQAhAQwBCwNAIAIhByAEIgFBFGoiAigCACIEDQAgAUEQaiECIAEoAhAiBA0ACyAHQQA2AgALIAZFDQACQCAFIAUoAhwiAkECdEG4CmoiBCgCAEYEQCAEIAE2AgAgAQ0BQYwIQYwIKAIAQX4gAndxNgIADAILIAZBEEEUIAYoAhAgBUYbaiABNgIAIAFFDQELIAEgBjYCGCAFKAIQIgIEQCABIAI2AhAgAiABNgIYCyAFKAIUIgJFDQAgASACNgIUIAIgATYCGAsgAyAAQQFyNgIEIAAgA2ogADYCACADQZwIKAIARw0BQZAIIAA2AgAPCyAFIAFBfnE2AgQgAyAAQQFyNgIEIAAgA2ogADYCAAsgAEH/AU0EQCAAQQN2IgFBA3RBsAhqIQACf0GICCgCACICQQEgAXQiAXFFBEBBiAggASACcjYCACAADAELIAAoAggLIQIgACADNgIIIAIgAzYCDCADIAA2AgwgAyACNgIIDwtBHyECIANCADcCECAAQf///wdNBEAgAEEIdiIBIAFBgP4/akEQdkEIcSIBdCICIAJBgOAfakEQdkEEcSICdCIEIARBgIAPakEQdkECcSIEdEEPdiABIAJyIARyayIBQQF0IAAgAUEVanZBAXFyQRxqIQILIAMgAjYCHCACQQJ0QbgKaiEBAkACQAJAQYwIKAIAIgRBASACdCIHcUUEQEGMCCAEIAdyNgIAIAEgAzYCACADIAE2AhgMAQsgAEEAQRkgAkEBdmsgAkEfRht0IQIgASgCACEBA0AgASIEKAIEQXhxIABGDQIgAkEddiEBIAJBAXQhAiAEIAFBBHFqIgdBEGooAgAiAQ0ACyAHIAM2AhAgAyAENgIYCyADIAM2AgwgAyADNgIIDAELIAQoAggiACADNgIMIAQgAzYCCCADQQA2AhggAyAENgIMIAMgADYCCAtBqAhBqAgoAgBBAWsiAEF/IAAbNgIACwsLCQEAQYEICwIGUA==", !W.startsWith(V2)) {
          var na = W;
          W = b.locateFile ? b.locateFile(na, B) : B + na;
        }
        function pa() {
          var a = W;
          try {
            if (a == W && J) return new Uint8Array(J);
            var c = H(a);
            if (c) return c;
            if (E) return E(a);
            throw "both async and sync fetching of the wasm failed";
          } catch (d) {
            K(d);
          }
        }
        function qa() {
          if (!J && (x || y)) {
            if (typeof fetch == "function" && !W.startsWith("file://")) return fetch(W, { credentials: "same-origin" }).then(function(a) {
              if (!a.ok) throw "failed to load wasm binary file at '" + W + "'";
              return a.arrayBuffer();
            }).catch(function() {
              return pa();
            });
            if (D) return new Promise(function(a, c) {
              D(W, function(d) {
                a(new Uint8Array(d));
              }, c);
            });
          }
          return Promise.resolve().then(function() {
            return pa();
          });
        }
        function X(a) {
          for (; 0 < a.length; ) {
            var c = a.shift();
            if (typeof c == "function") c(b);
            else {
              var d = c.m;
              typeof d == "number" ? c.l === void 0 ? R.get(d)() : R.get(d)(c.l) : d(c.l === void 0 ? null : c.l);
            }
          }
        }
        var ba = !1, ra = typeof atob == "function" ? atob : function(a) {
          var c = "", d = 0;
          a = a.replace(/[^A-Za-z0-9\+\/=]/g, "");
          do {
            var e = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".indexOf(a.charAt(d++)), f = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".indexOf(a.charAt(d++)), l = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".indexOf(a.charAt(d++)), A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".indexOf(a.charAt(d++));
            e = e << 2 | f >> 4, f = (f & 15) << 4 | l >> 2;
            var t = (l & 3) << 6 | A;
            c += String.fromCharCode(e), l !== 64 && (c += String.fromCharCode(f)), A !== 64 && (c += String.fromCharCode(t));
          } while (d < a.length);
          return c;
        };
        function H(a) {
          if (a.startsWith(V2)) {
            if (a = a.slice(V2.length), typeof z == "boolean" && z) {
              var c = Buffer.from(a, "base64");
              c = new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
            } else try {
              var d = ra(a), e = new Uint8Array(d.length);
              for (a = 0; a < d.length; ++a) e[a] = d.charCodeAt(a);
              c = e;
            } catch {
              throw Error("Converting base64 string to bytes failed.");
            }
            return c;
          }
        }
        var sa = { a: function(a) {
          var c = P.length;
          if (a >>>= 0, 2147483648 < a) return !1;
          for (var d = 1; 4 >= d; d *= 2) {
            var e = c * (1 + 0.2 / d);
            e = Math.min(e, a + 100663296), e = Math.max(a, e), 0 < e % 65536 && (e += 65536 - e % 65536);
            a: {
              try {
                L.grow(Math.min(2147483648, e) - ha.byteLength + 65535 >>> 16), ia();
                var f = 1;
                break a;
              } catch {
              }
              f = void 0;
            }
            if (f) return !0;
          }
          return !1;
        } };
        (function() {
          function a(f) {
            b.asm = f.exports, L = b.asm.b, ia(), R = b.asm.j, ka.unshift(b.asm.c), S--, b.monitorRunDependencies && b.monitorRunDependencies(S), S == 0 && (T !== null && (clearInterval(T), T = null), U && (f = U, U = null, f()));
          }
          function c(f) {
            a(f.instance);
          }
          function d(f) {
            return qa().then(function(l) {
              return WebAssembly.instantiate(l, e);
            }).then(f, function(l) {
              I("failed to asynchronously prepare wasm: " + l), K(l);
            });
          }
          var e = { a: sa };
          if (S++, b.monitorRunDependencies && b.monitorRunDependencies(S), b.instantiateWasm) try {
            return b.instantiateWasm(
              e,
              a
            );
          } catch (f) {
            return I("Module.instantiateWasm callback failed with error: " + f), !1;
          }
          return (function() {
            return J || typeof WebAssembly.instantiateStreaming != "function" || W.startsWith(V2) || W.startsWith("file://") || typeof fetch != "function" ? d(c) : fetch(W, { credentials: "same-origin" }).then(function(f) {
              return WebAssembly.instantiateStreaming(f, e).then(c, function(l) {
                return I("wasm streaming compile failed: " + l), I("falling back to ArrayBuffer instantiation"), d(c);
              });
            });
          })().catch(r), {};
        })(), b.___wasm_call_ctors = function() {
          return (b.___wasm_call_ctors = b.asm.c).apply(null, arguments);
        }, b._poly1305_auth = function() {
          return (b._poly1305_auth = b.asm.d).apply(null, arguments);
        };
        var da = b.stackSave = function() {
          return (da = b.stackSave = b.asm.e).apply(null, arguments);
        }, fa = b.stackRestore = function() {
          return (fa = b.stackRestore = b.asm.f).apply(null, arguments);
        }, O = b.stackAlloc = function() {
          return (O = b.stackAlloc = b.asm.g).apply(null, arguments);
        };
        b._malloc = function() {
          return (b._malloc = b.asm.h).apply(null, arguments);
        }, b._free = function() {
          return (b._free = b.asm.i).apply(null, arguments);
        }, b.cwrap = function(a, c, d, e) {
          d = d || [];
          var f = d.every(function(l) {
            return l === "number";
          });
          return c !== "string" && f && !e ? N(a) : function() {
            return ca(a, c, d, arguments);
          };
        };
        var Y;
        U = function ta() {
          Y || Z(), Y || (U = ta);
        };
        function Z() {
          function a() {
            if (!Y && (Y = !0, b.calledRun = !0, !M)) {
              if (X(ka), q(b), b.onRuntimeInitialized && b.onRuntimeInitialized(), b.postRun) for (typeof b.postRun == "function" && (b.postRun = [b.postRun]); b.postRun.length; ) {
                var c = b.postRun.shift();
                la.unshift(c);
              }
              X(la);
            }
          }
          if (!(0 < S)) {
            if (b.preRun) for (typeof b.preRun == "function" && (b.preRun = [b.preRun]); b.preRun.length; ) ma();
            X(ja), 0 < S || (b.setStatus ? (b.setStatus("Running..."), setTimeout(function() {
              setTimeout(function() {
                b.setStatus("");
              }, 1), a();
            }, 1)) : a());
          }
        }
        if (b.run = Z, b.preInit) for (typeof b.preInit == "function" && (b.preInit = [b.preInit]); 0 < b.preInit.length; ) b.preInit.pop()();
        return Z(), createPoly13052.ready;
      });
    })();
    typeof exports == "object" && typeof module == "object" ? module.exports = createPoly1305 : typeof define == "function" && define.amd ? define([], function() {
      return createPoly1305;
    }) : typeof exports == "object" && (exports.createPoly1305 = createPoly1305);
  }
});

// node_modules/ssh2/lib/protocol/crypto.js
var require_crypto = __commonJS({
  "node_modules/ssh2/lib/protocol/crypto.js"(exports, module) {
    "use strict";
    var {
      createCipheriv,
      createDecipheriv,
      createHmac: createHmac2,
      randomFillSync,
      timingSafeEqual
    } = __require("crypto"), { readUInt32BE, writeUInt32BE } = require_utils(), FastBuffer = Buffer[Symbol.species], MAX_SEQNO = 2 ** 32 - 1, EMPTY_BUFFER = Buffer.alloc(0), BUF_INT = Buffer.alloc(4), DISCARD_CACHE = /* @__PURE__ */ new Map(), MAX_PACKET_SIZE = 35e3, binding, AESGCMCipher, ChaChaPolyCipher, GenericCipher, AESGCMDecipher, ChaChaPolyDecipher, GenericDecipher;
    try {
      binding = __require("./crypto/build/Release/sshcrypto.node"), {
        AESGCMCipher,
        ChaChaPolyCipher,
        GenericCipher,
        AESGCMDecipher,
        ChaChaPolyDecipher,
        GenericDecipher
      } = binding;
    } catch {
    }
    var CIPHER_STREAM = 1, CIPHER_INFO = (() => {
      function info(sslName, blockLen, keyLen, ivLen, authLen, discardLen, flags) {
        return {
          sslName,
          blockLen,
          keyLen,
          ivLen: ivLen !== 0 || flags & CIPHER_STREAM ? ivLen : blockLen,
          authLen,
          discardLen,
          stream: !!(flags & CIPHER_STREAM)
        };
      }
      return {
        "chacha20-poly1305@openssh.com": info("chacha20", 8, 64, 0, 16, 0, CIPHER_STREAM),
        "aes128-gcm": info("aes-128-gcm", 16, 16, 12, 16, 0, CIPHER_STREAM),
        "aes256-gcm": info("aes-256-gcm", 16, 32, 12, 16, 0, CIPHER_STREAM),
        "aes128-gcm@openssh.com": info("aes-128-gcm", 16, 16, 12, 16, 0, CIPHER_STREAM),
        "aes256-gcm@openssh.com": info("aes-256-gcm", 16, 32, 12, 16, 0, CIPHER_STREAM),
        "aes128-cbc": info("aes-128-cbc", 16, 16, 0, 0, 0, 0),
        "aes192-cbc": info("aes-192-cbc", 16, 24, 0, 0, 0, 0),
        "aes256-cbc": info("aes-256-cbc", 16, 32, 0, 0, 0, 0),
        "rijndael-cbc@lysator.liu.se": info("aes-256-cbc", 16, 32, 0, 0, 0, 0),
        "3des-cbc": info("des-ede3-cbc", 8, 24, 0, 0, 0, 0),
        "blowfish-cbc": info("bf-cbc", 8, 16, 0, 0, 0, 0),
        "idea-cbc": info("idea-cbc", 8, 16, 0, 0, 0, 0),
        "cast128-cbc": info("cast-cbc", 8, 16, 0, 0, 0, 0),
        "aes128-ctr": info("aes-128-ctr", 16, 16, 16, 0, 0, CIPHER_STREAM),
        "aes192-ctr": info("aes-192-ctr", 16, 24, 16, 0, 0, CIPHER_STREAM),
        "aes256-ctr": info("aes-256-ctr", 16, 32, 16, 0, 0, CIPHER_STREAM),
        "3des-ctr": info("des-ede3", 8, 24, 8, 0, 0, CIPHER_STREAM),
        "blowfish-ctr": info("bf-ecb", 8, 16, 8, 0, 0, CIPHER_STREAM),
        "cast128-ctr": info("cast5-ecb", 8, 16, 8, 0, 0, CIPHER_STREAM),
        /* The "arcfour128" algorithm is the RC4 cipher, as described in
               [SCHNEIER], using a 128-bit key.  The first 1536 bytes of keystream
               generated by the cipher MUST be discarded, and the first byte of the
               first encrypted packet MUST be encrypted using the 1537th byte of
               keystream.
        
               -- http://tools.ietf.org/html/rfc4345#section-4 */
        arcfour: info("rc4", 8, 16, 0, 0, 1536, CIPHER_STREAM),
        arcfour128: info("rc4", 8, 16, 0, 0, 1536, CIPHER_STREAM),
        arcfour256: info("rc4", 8, 32, 0, 0, 1536, CIPHER_STREAM),
        arcfour512: info("rc4", 8, 64, 0, 0, 1536, CIPHER_STREAM)
      };
    })(), MAC_INFO = (() => {
      function info(sslName, len, actualLen, isETM) {
        return {
          sslName,
          len,
          actualLen,
          isETM
        };
      }
      return {
        "hmac-md5": info("md5", 16, 16, !1),
        "hmac-md5-96": info("md5", 16, 12, !1),
        "hmac-ripemd160": info("ripemd160", 20, 20, !1),
        "hmac-sha1": info("sha1", 20, 20, !1),
        "hmac-sha1-etm@openssh.com": info("sha1", 20, 20, !0),
        "hmac-sha1-96": info("sha1", 20, 12, !1),
        "hmac-sha2-256": info("sha256", 32, 32, !1),
        "hmac-sha2-256-etm@openssh.com": info("sha256", 32, 32, !0),
        "hmac-sha2-256-96": info("sha256", 32, 12, !1),
        "hmac-sha2-512": info("sha512", 64, 64, !1),
        "hmac-sha2-512-etm@openssh.com": info("sha512", 64, 64, !0),
        "hmac-sha2-512-96": info("sha512", 64, 12, !1)
      };
    })(), NullCipher = class {
      constructor(seqno, onWrite) {
        this.outSeqno = seqno, this._onWrite = onWrite, this._dead = !1;
      }
      free() {
        this._dead = !0;
      }
      allocPacket(payloadLen) {
        let pktLen = 5 + payloadLen, padLen = 8 - (pktLen & 7);
        padLen < 4 && (padLen += 8), pktLen += padLen;
        let packet = Buffer.allocUnsafe(pktLen);
        return writeUInt32BE(packet, pktLen - 4, 0), packet[4] = padLen, randomFillSync(packet, 5 + payloadLen, padLen), packet;
      }
      encrypt(packet) {
        this._dead || (this._onWrite(packet), this.outSeqno = this.outSeqno + 1 >>> 0);
      }
    }, POLY1305_ZEROS = Buffer.alloc(32), POLY1305_OUT_COMPUTE = Buffer.alloc(16), POLY1305_WASM_MODULE, POLY1305_RESULT_MALLOC, poly1305_auth, ChaChaPolyCipherNative = class {
      constructor(config) {
        let enc = config.outbound;
        this.outSeqno = enc.seqno, this._onWrite = enc.onWrite, this._encKeyMain = enc.cipherKey.slice(0, 32), this._encKeyPktLen = enc.cipherKey.slice(32), this._dead = !1;
      }
      free() {
        this._dead = !0;
      }
      allocPacket(payloadLen) {
        let pktLen = 5 + payloadLen, padLen = 8 - (pktLen - 4 & 7);
        padLen < 4 && (padLen += 8), pktLen += padLen;
        let packet = Buffer.allocUnsafe(pktLen);
        return writeUInt32BE(packet, pktLen - 4, 0), packet[4] = padLen, randomFillSync(packet, 5 + payloadLen, padLen), packet;
      }
      encrypt(packet) {
        if (this._dead)
          return;
        POLY1305_OUT_COMPUTE[0] = 0, writeUInt32BE(POLY1305_OUT_COMPUTE, this.outSeqno, 12);
        let polyKey = createCipheriv("chacha20", this._encKeyMain, POLY1305_OUT_COMPUTE).update(POLY1305_ZEROS), pktLenEnc = createCipheriv("chacha20", this._encKeyPktLen, POLY1305_OUT_COMPUTE).update(packet.slice(0, 4));
        this._onWrite(pktLenEnc), POLY1305_OUT_COMPUTE[0] = 1;
        let payloadEnc = createCipheriv("chacha20", this._encKeyMain, POLY1305_OUT_COMPUTE).update(packet.slice(4));
        this._onWrite(payloadEnc), poly1305_auth(
          POLY1305_RESULT_MALLOC,
          pktLenEnc,
          pktLenEnc.length,
          payloadEnc,
          payloadEnc.length,
          polyKey
        );
        let mac = Buffer.allocUnsafe(16);
        mac.set(
          new Uint8Array(
            POLY1305_WASM_MODULE.HEAPU8.buffer,
            POLY1305_RESULT_MALLOC,
            16
          ),
          0
        ), this._onWrite(mac), this.outSeqno = this.outSeqno + 1 >>> 0;
      }
    }, ChaChaPolyCipherBinding = class {
      constructor(config) {
        let enc = config.outbound;
        this.outSeqno = enc.seqno, this._onWrite = enc.onWrite, this._instance = new ChaChaPolyCipher(enc.cipherKey), this._dead = !1;
      }
      free() {
        this._dead = !0, this._instance.free();
      }
      allocPacket(payloadLen) {
        let pktLen = 5 + payloadLen, padLen = 8 - (pktLen - 4 & 7);
        padLen < 4 && (padLen += 8), pktLen += padLen;
        let packet = Buffer.allocUnsafe(
          pktLen + 16
          /* MAC */
        );
        return writeUInt32BE(packet, pktLen - 4, 0), packet[4] = padLen, randomFillSync(packet, 5 + payloadLen, padLen), packet;
      }
      encrypt(packet) {
        this._dead || (this._instance.encrypt(packet, this.outSeqno), this._onWrite(packet), this.outSeqno = this.outSeqno + 1 >>> 0);
      }
    }, AESGCMCipherNative = class {
      constructor(config) {
        let enc = config.outbound;
        this.outSeqno = enc.seqno, this._onWrite = enc.onWrite, this._encSSLName = enc.cipherInfo.sslName, this._encKey = enc.cipherKey, this._encIV = enc.cipherIV, this._dead = !1;
      }
      free() {
        this._dead = !0;
      }
      allocPacket(payloadLen) {
        let pktLen = 5 + payloadLen, padLen = 16 - (pktLen - 4 & 15);
        padLen < 4 && (padLen += 16), pktLen += padLen;
        let packet = Buffer.allocUnsafe(pktLen);
        return writeUInt32BE(packet, pktLen - 4, 0), packet[4] = padLen, randomFillSync(packet, 5 + payloadLen, padLen), packet;
      }
      encrypt(packet) {
        if (this._dead)
          return;
        let cipher = createCipheriv(this._encSSLName, this._encKey, this._encIV);
        cipher.setAutoPadding(!1);
        let lenData = packet.slice(0, 4);
        cipher.setAAD(lenData), this._onWrite(lenData);
        let encrypted = cipher.update(packet.slice(4));
        this._onWrite(encrypted);
        let final = cipher.final();
        final.length && this._onWrite(final);
        let tag = cipher.getAuthTag();
        this._onWrite(tag), ivIncrement(this._encIV), this.outSeqno = this.outSeqno + 1 >>> 0;
      }
    }, AESGCMCipherBinding = class {
      constructor(config) {
        let enc = config.outbound;
        this.outSeqno = enc.seqno, this._onWrite = enc.onWrite, this._instance = new AESGCMCipher(
          enc.cipherInfo.sslName,
          enc.cipherKey,
          enc.cipherIV
        ), this._dead = !1;
      }
      free() {
        this._dead = !0, this._instance.free();
      }
      allocPacket(payloadLen) {
        let pktLen = 5 + payloadLen, padLen = 16 - (pktLen - 4 & 15);
        padLen < 4 && (padLen += 16), pktLen += padLen;
        let packet = Buffer.allocUnsafe(
          pktLen + 16
          /* authTag */
        );
        return writeUInt32BE(packet, pktLen - 4, 0), packet[4] = padLen, randomFillSync(packet, 5 + payloadLen, padLen), packet;
      }
      encrypt(packet) {
        this._dead || (this._instance.encrypt(packet), this._onWrite(packet), this.outSeqno = this.outSeqno + 1 >>> 0);
      }
    }, GenericCipherNative = class {
      constructor(config) {
        let enc = config.outbound;
        this.outSeqno = enc.seqno, this._onWrite = enc.onWrite, this._encBlockLen = enc.cipherInfo.blockLen, this._cipherInstance = createCipheriv(
          enc.cipherInfo.sslName,
          enc.cipherKey,
          enc.cipherIV
        ), this._macSSLName = enc.macInfo.sslName, this._macKey = enc.macKey, this._macActualLen = enc.macInfo.actualLen, this._macETM = enc.macInfo.isETM, this._aadLen = this._macETM ? 4 : 0, this._dead = !1;
        let discardLen = enc.cipherInfo.discardLen;
        if (discardLen) {
          let discard = DISCARD_CACHE.get(discardLen);
          discard === void 0 && (discard = Buffer.alloc(discardLen), DISCARD_CACHE.set(discardLen, discard)), this._cipherInstance.update(discard);
        }
      }
      free() {
        this._dead = !0;
      }
      allocPacket(payloadLen) {
        let blockLen = this._encBlockLen, pktLen = 5 + payloadLen, padLen = blockLen - (pktLen - this._aadLen & blockLen - 1);
        padLen < 4 && (padLen += blockLen), pktLen += padLen;
        let packet = Buffer.allocUnsafe(pktLen);
        return writeUInt32BE(packet, pktLen - 4, 0), packet[4] = padLen, randomFillSync(packet, 5 + payloadLen, padLen), packet;
      }
      encrypt(packet) {
        if (this._dead)
          return;
        let mac;
        if (this._macETM) {
          let lenBytes = new Uint8Array(packet.buffer, packet.byteOffset, 4), encrypted = this._cipherInstance.update(
            new Uint8Array(
              packet.buffer,
              packet.byteOffset + 4,
              packet.length - 4
            )
          );
          this._onWrite(lenBytes), this._onWrite(encrypted), mac = createHmac2(this._macSSLName, this._macKey), writeUInt32BE(BUF_INT, this.outSeqno, 0), mac.update(BUF_INT), mac.update(lenBytes), mac.update(encrypted);
        } else {
          let encrypted = this._cipherInstance.update(packet);
          this._onWrite(encrypted), mac = createHmac2(this._macSSLName, this._macKey), writeUInt32BE(BUF_INT, this.outSeqno, 0), mac.update(BUF_INT), mac.update(packet);
        }
        let digest = mac.digest();
        digest.length > this._macActualLen && (digest = digest.slice(0, this._macActualLen)), this._onWrite(digest), this.outSeqno = this.outSeqno + 1 >>> 0;
      }
    }, GenericCipherBinding = class {
      constructor(config) {
        let enc = config.outbound;
        this.outSeqno = enc.seqno, this._onWrite = enc.onWrite, this._encBlockLen = enc.cipherInfo.blockLen, this._macLen = enc.macInfo.len, this._macActualLen = enc.macInfo.actualLen, this._aadLen = enc.macInfo.isETM ? 4 : 0, this._instance = new GenericCipher(
          enc.cipherInfo.sslName,
          enc.cipherKey,
          enc.cipherIV,
          enc.macInfo.sslName,
          enc.macKey,
          enc.macInfo.isETM
        ), this._dead = !1;
      }
      free() {
        this._dead = !0, this._instance.free();
      }
      allocPacket(payloadLen) {
        let blockLen = this._encBlockLen, pktLen = 5 + payloadLen, padLen = blockLen - (pktLen - this._aadLen & blockLen - 1);
        padLen < 4 && (padLen += blockLen), pktLen += padLen;
        let packet = Buffer.allocUnsafe(pktLen + this._macLen);
        return writeUInt32BE(packet, pktLen - 4, 0), packet[4] = padLen, randomFillSync(packet, 5 + payloadLen, padLen), packet;
      }
      encrypt(packet) {
        this._dead || (this._instance.encrypt(packet, this.outSeqno), this._macActualLen < this._macLen && (packet = new FastBuffer(
          packet.buffer,
          packet.byteOffset,
          packet.length - (this._macLen - this._macActualLen)
        )), this._onWrite(packet), this.outSeqno = this.outSeqno + 1 >>> 0);
      }
    }, NullDecipher = class {
      constructor(seqno, onPayload) {
        this.inSeqno = seqno, this._onPayload = onPayload, this._len = 0, this._lenBytes = 0, this._packet = null, this._packetPos = 0;
      }
      free() {
      }
      decrypt(data, p, dataLen) {
        for (; p < dataLen; ) {
          if (this._lenBytes < 4) {
            let nb = Math.min(4 - this._lenBytes, dataLen - p);
            for (this._lenBytes += nb; nb--; )
              this._len = (this._len << 8) + data[p++];
            if (this._lenBytes < 4)
              return;
            if (this._len > MAX_PACKET_SIZE || this._len < 8 || (4 + this._len & 7) !== 0)
              throw new Error("Bad packet length");
            if (p >= dataLen)
              return;
          }
          if (this._packetPos < this._len) {
            let nb = Math.min(this._len - this._packetPos, dataLen - p), chunk;
            if (p !== 0 || nb !== dataLen ? chunk = new Uint8Array(data.buffer, data.byteOffset + p, nb) : chunk = data, nb === this._len ? this._packet = chunk : (this._packet || (this._packet = Buffer.allocUnsafe(this._len)), this._packet.set(chunk, this._packetPos)), p += nb, this._packetPos += nb, this._packetPos < this._len)
              return;
          }
          let payload = this._packet ? new FastBuffer(
            this._packet.buffer,
            this._packet.byteOffset + 1,
            this._packet.length - this._packet[0] - 1
          ) : EMPTY_BUFFER;
          this.inSeqno = this.inSeqno + 1 >>> 0, this._len = 0, this._lenBytes = 0, this._packet = null, this._packetPos = 0;
          {
            let ret = this._onPayload(payload);
            if (ret !== void 0)
              return ret === !1 ? p : ret;
          }
        }
      }
    }, ChaChaPolyDecipherNative = class {
      constructor(config) {
        let dec = config.inbound;
        this.inSeqno = dec.seqno, this._onPayload = dec.onPayload, this._decKeyMain = dec.decipherKey.slice(0, 32), this._decKeyPktLen = dec.decipherKey.slice(32), this._len = 0, this._lenBuf = Buffer.alloc(4), this._lenPos = 0, this._packet = null, this._pktLen = 0, this._mac = Buffer.allocUnsafe(16), this._calcMac = Buffer.allocUnsafe(16), this._macPos = 0;
      }
      free() {
      }
      decrypt(data, p, dataLen) {
        for (; p < dataLen; ) {
          if (this._lenPos < 4) {
            let nb = Math.min(4 - this._lenPos, dataLen - p);
            for (; nb--; )
              this._lenBuf[this._lenPos++] = data[p++];
            if (this._lenPos < 4)
              return;
            POLY1305_OUT_COMPUTE[0] = 0, writeUInt32BE(POLY1305_OUT_COMPUTE, this.inSeqno, 12);
            let decLenBytes = createDecipheriv("chacha20", this._decKeyPktLen, POLY1305_OUT_COMPUTE).update(this._lenBuf);
            if (this._len = readUInt32BE(decLenBytes, 0), this._len > MAX_PACKET_SIZE || this._len < 8 || (this._len & 7) !== 0)
              throw new Error("Bad packet length");
          }
          if (this._pktLen < this._len) {
            if (p >= dataLen)
              return;
            let nb = Math.min(this._len - this._pktLen, dataLen - p), encrypted;
            if (p !== 0 || nb !== dataLen ? encrypted = new Uint8Array(data.buffer, data.byteOffset + p, nb) : encrypted = data, nb === this._len ? this._packet = encrypted : (this._packet || (this._packet = Buffer.allocUnsafe(this._len)), this._packet.set(encrypted, this._pktLen)), p += nb, this._pktLen += nb, this._pktLen < this._len || p >= dataLen)
              return;
          }
          {
            let nb = Math.min(16 - this._macPos, dataLen - p);
            if (p !== 0 || nb !== dataLen ? this._mac.set(
              new Uint8Array(data.buffer, data.byteOffset + p, nb),
              this._macPos
            ) : this._mac.set(data, this._macPos), p += nb, this._macPos += nb, this._macPos < 16)
              return;
          }
          POLY1305_OUT_COMPUTE[0] = 0, writeUInt32BE(POLY1305_OUT_COMPUTE, this.inSeqno, 12);
          let polyKey = createCipheriv("chacha20", this._decKeyMain, POLY1305_OUT_COMPUTE).update(POLY1305_ZEROS);
          if (poly1305_auth(
            POLY1305_RESULT_MALLOC,
            this._lenBuf,
            4,
            this._packet,
            this._packet.length,
            polyKey
          ), this._calcMac.set(
            new Uint8Array(
              POLY1305_WASM_MODULE.HEAPU8.buffer,
              POLY1305_RESULT_MALLOC,
              16
            ),
            0
          ), !timingSafeEqual(this._calcMac, this._mac))
            throw new Error("Invalid MAC");
          POLY1305_OUT_COMPUTE[0] = 1;
          let packet = createDecipheriv("chacha20", this._decKeyMain, POLY1305_OUT_COMPUTE).update(this._packet), payload = new FastBuffer(
            packet.buffer,
            packet.byteOffset + 1,
            packet.length - packet[0] - 1
          );
          this.inSeqno = this.inSeqno + 1 >>> 0, this._len = 0, this._lenPos = 0, this._packet = null, this._pktLen = 0, this._macPos = 0;
          {
            let ret = this._onPayload(payload);
            if (ret !== void 0)
              return ret === !1 ? p : ret;
          }
        }
      }
    }, ChaChaPolyDecipherBinding = class {
      constructor(config) {
        let dec = config.inbound;
        this.inSeqno = dec.seqno, this._onPayload = dec.onPayload, this._instance = new ChaChaPolyDecipher(dec.decipherKey), this._len = 0, this._lenBuf = Buffer.alloc(4), this._lenPos = 0, this._packet = null, this._pktLen = 0, this._mac = Buffer.allocUnsafe(16), this._macPos = 0;
      }
      free() {
        this._instance.free();
      }
      decrypt(data, p, dataLen) {
        for (; p < dataLen; ) {
          if (this._lenPos < 4) {
            let nb = Math.min(4 - this._lenPos, dataLen - p);
            for (; nb--; )
              this._lenBuf[this._lenPos++] = data[p++];
            if (this._lenPos < 4)
              return;
            if (this._len = this._instance.decryptLen(this._lenBuf, this.inSeqno), this._len > MAX_PACKET_SIZE || this._len < 8 || (this._len & 7) !== 0)
              throw new Error("Bad packet length");
            if (p >= dataLen)
              return;
          }
          if (this._pktLen < this._len) {
            let nb = Math.min(this._len - this._pktLen, dataLen - p), encrypted;
            if (p !== 0 || nb !== dataLen ? encrypted = new Uint8Array(data.buffer, data.byteOffset + p, nb) : encrypted = data, nb === this._len ? this._packet = encrypted : (this._packet || (this._packet = Buffer.allocUnsafe(this._len)), this._packet.set(encrypted, this._pktLen)), p += nb, this._pktLen += nb, this._pktLen < this._len || p >= dataLen)
              return;
          }
          {
            let nb = Math.min(16 - this._macPos, dataLen - p);
            if (p !== 0 || nb !== dataLen ? this._mac.set(
              new Uint8Array(data.buffer, data.byteOffset + p, nb),
              this._macPos
            ) : this._mac.set(data, this._macPos), p += nb, this._macPos += nb, this._macPos < 16)
              return;
          }
          this._instance.decrypt(this._packet, this._mac, this.inSeqno);
          let payload = new FastBuffer(
            this._packet.buffer,
            this._packet.byteOffset + 1,
            this._packet.length - this._packet[0] - 1
          );
          this.inSeqno = this.inSeqno + 1 >>> 0, this._len = 0, this._lenPos = 0, this._packet = null, this._pktLen = 0, this._macPos = 0;
          {
            let ret = this._onPayload(payload);
            if (ret !== void 0)
              return ret === !1 ? p : ret;
          }
        }
      }
    }, AESGCMDecipherNative = class {
      constructor(config) {
        let dec = config.inbound;
        this.inSeqno = dec.seqno, this._onPayload = dec.onPayload, this._decipherInstance = null, this._decipherSSLName = dec.decipherInfo.sslName, this._decipherKey = dec.decipherKey, this._decipherIV = dec.decipherIV, this._len = 0, this._lenBytes = 0, this._packet = null, this._packetPos = 0, this._pktLen = 0, this._tag = Buffer.allocUnsafe(16), this._tagPos = 0;
      }
      free() {
      }
      decrypt(data, p, dataLen) {
        for (; p < dataLen; ) {
          if (this._lenBytes < 4) {
            let nb = Math.min(4 - this._lenBytes, dataLen - p);
            for (this._lenBytes += nb; nb--; )
              this._len = (this._len << 8) + data[p++];
            if (this._lenBytes < 4)
              return;
            if (this._len + 20 > MAX_PACKET_SIZE || this._len < 16 || (this._len & 15) !== 0)
              throw new Error("Bad packet length");
            this._decipherInstance = createDecipheriv(
              this._decipherSSLName,
              this._decipherKey,
              this._decipherIV
            ), this._decipherInstance.setAutoPadding(!1), this._decipherInstance.setAAD(intToBytes(this._len));
          }
          if (this._pktLen < this._len) {
            if (p >= dataLen)
              return;
            let nb = Math.min(this._len - this._pktLen, dataLen - p), decrypted;
            if (p !== 0 || nb !== dataLen ? decrypted = this._decipherInstance.update(
              new Uint8Array(data.buffer, data.byteOffset + p, nb)
            ) : decrypted = this._decipherInstance.update(data), decrypted.length && (nb === this._len ? this._packet = decrypted : (this._packet || (this._packet = Buffer.allocUnsafe(this._len)), this._packet.set(decrypted, this._packetPos)), this._packetPos += decrypted.length), p += nb, this._pktLen += nb, this._pktLen < this._len || p >= dataLen)
              return;
          }
          {
            let nb = Math.min(16 - this._tagPos, dataLen - p);
            if (p !== 0 || nb !== dataLen ? this._tag.set(
              new Uint8Array(data.buffer, data.byteOffset + p, nb),
              this._tagPos
            ) : this._tag.set(data, this._tagPos), p += nb, this._tagPos += nb, this._tagPos < 16)
              return;
          }
          {
            this._decipherInstance.setAuthTag(this._tag);
            let decrypted = this._decipherInstance.final();
            decrypted.length && (this._packet ? this._packet.set(decrypted, this._packetPos) : this._packet = decrypted);
          }
          let payload = this._packet ? new FastBuffer(
            this._packet.buffer,
            this._packet.byteOffset + 1,
            this._packet.length - this._packet[0] - 1
          ) : EMPTY_BUFFER;
          this.inSeqno = this.inSeqno + 1 >>> 0, ivIncrement(this._decipherIV), this._len = 0, this._lenBytes = 0, this._packet = null, this._packetPos = 0, this._pktLen = 0, this._tagPos = 0;
          {
            let ret = this._onPayload(payload);
            if (ret !== void 0)
              return ret === !1 ? p : ret;
          }
        }
      }
    }, AESGCMDecipherBinding = class {
      constructor(config) {
        let dec = config.inbound;
        this.inSeqno = dec.seqno, this._onPayload = dec.onPayload, this._instance = new AESGCMDecipher(
          dec.decipherInfo.sslName,
          dec.decipherKey,
          dec.decipherIV
        ), this._len = 0, this._lenBytes = 0, this._packet = null, this._pktLen = 0, this._tag = Buffer.allocUnsafe(16), this._tagPos = 0;
      }
      free() {
      }
      decrypt(data, p, dataLen) {
        for (; p < dataLen; ) {
          if (this._lenBytes < 4) {
            let nb = Math.min(4 - this._lenBytes, dataLen - p);
            for (this._lenBytes += nb; nb--; )
              this._len = (this._len << 8) + data[p++];
            if (this._lenBytes < 4)
              return;
            if (this._len + 20 > MAX_PACKET_SIZE || this._len < 16 || (this._len & 15) !== 0)
              throw new Error(`Bad packet length: ${this._len}`);
          }
          if (this._pktLen < this._len) {
            if (p >= dataLen)
              return;
            let nb = Math.min(this._len - this._pktLen, dataLen - p), encrypted;
            if (p !== 0 || nb !== dataLen ? encrypted = new Uint8Array(data.buffer, data.byteOffset + p, nb) : encrypted = data, nb === this._len ? this._packet = encrypted : (this._packet || (this._packet = Buffer.allocUnsafe(this._len)), this._packet.set(encrypted, this._pktLen)), p += nb, this._pktLen += nb, this._pktLen < this._len || p >= dataLen)
              return;
          }
          {
            let nb = Math.min(16 - this._tagPos, dataLen - p);
            if (p !== 0 || nb !== dataLen ? this._tag.set(
              new Uint8Array(data.buffer, data.byteOffset + p, nb),
              this._tagPos
            ) : this._tag.set(data, this._tagPos), p += nb, this._tagPos += nb, this._tagPos < 16)
              return;
          }
          this._instance.decrypt(this._packet, this._len, this._tag);
          let payload = new FastBuffer(
            this._packet.buffer,
            this._packet.byteOffset + 1,
            this._packet.length - this._packet[0] - 1
          );
          this.inSeqno = this.inSeqno + 1 >>> 0, this._len = 0, this._lenBytes = 0, this._packet = null, this._pktLen = 0, this._tagPos = 0;
          {
            let ret = this._onPayload(payload);
            if (ret !== void 0)
              return ret === !1 ? p : ret;
          }
        }
      }
    }, GenericDecipherNative = class {
      constructor(config) {
        let dec = config.inbound;
        this.inSeqno = dec.seqno, this._onPayload = dec.onPayload, this._decipherInstance = createDecipheriv(
          dec.decipherInfo.sslName,
          dec.decipherKey,
          dec.decipherIV
        ), this._decipherInstance.setAutoPadding(!1), this._block = Buffer.allocUnsafe(
          dec.macInfo.isETM ? 4 : dec.decipherInfo.blockLen
        ), this._blockSize = dec.decipherInfo.blockLen, this._blockPos = 0, this._len = 0, this._packet = null, this._packetPos = 0, this._pktLen = 0, this._mac = Buffer.allocUnsafe(dec.macInfo.actualLen), this._macPos = 0, this._macSSLName = dec.macInfo.sslName, this._macKey = dec.macKey, this._macActualLen = dec.macInfo.actualLen, this._macETM = dec.macInfo.isETM, this._macInstance = null;
        let discardLen = dec.decipherInfo.discardLen;
        if (discardLen) {
          let discard = DISCARD_CACHE.get(discardLen);
          discard === void 0 && (discard = Buffer.alloc(discardLen), DISCARD_CACHE.set(discardLen, discard)), this._decipherInstance.update(discard);
        }
      }
      free() {
      }
      decrypt(data, p, dataLen) {
        for (; p < dataLen; ) {
          if (this._blockPos < this._block.length) {
            let nb = Math.min(this._block.length - this._blockPos, dataLen - p);
            if (p !== 0 || nb !== dataLen || nb < data.length ? this._block.set(
              new Uint8Array(data.buffer, data.byteOffset + p, nb),
              this._blockPos
            ) : this._block.set(data, this._blockPos), p += nb, this._blockPos += nb, this._blockPos < this._block.length)
              return;
            let decrypted, need;
            if (this._macETM ? this._len = need = readUInt32BE(this._block, 0) : (decrypted = this._decipherInstance.update(this._block), this._len = readUInt32BE(decrypted, 0), need = 4 + this._len - this._blockSize), this._len > MAX_PACKET_SIZE || this._len < 5 || (need & this._blockSize - 1) !== 0)
              throw new Error("Bad packet length");
            if (this._macInstance = createHmac2(this._macSSLName, this._macKey), writeUInt32BE(BUF_INT, this.inSeqno, 0), this._macInstance.update(BUF_INT), this._macETM ? this._macInstance.update(this._block) : (this._macInstance.update(new Uint8Array(
              decrypted.buffer,
              decrypted.byteOffset,
              4
            )), this._pktLen = decrypted.length - 4, this._packetPos = this._pktLen, this._packet = Buffer.allocUnsafe(this._len), this._packet.set(
              new Uint8Array(
                decrypted.buffer,
                decrypted.byteOffset + 4,
                this._packetPos
              ),
              0
            )), p >= dataLen)
              return;
          }
          if (this._pktLen < this._len) {
            let nb = Math.min(this._len - this._pktLen, dataLen - p), encrypted;
            p !== 0 || nb !== dataLen ? encrypted = new Uint8Array(data.buffer, data.byteOffset + p, nb) : encrypted = data, this._macETM && this._macInstance.update(encrypted);
            let decrypted = this._decipherInstance.update(encrypted);
            if (decrypted.length && (nb === this._len ? this._packet = decrypted : (this._packet || (this._packet = Buffer.allocUnsafe(this._len)), this._packet.set(decrypted, this._packetPos)), this._packetPos += decrypted.length), p += nb, this._pktLen += nb, this._pktLen < this._len || p >= dataLen)
              return;
          }
          {
            let nb = Math.min(this._macActualLen - this._macPos, dataLen - p);
            if (p !== 0 || nb !== dataLen ? this._mac.set(
              new Uint8Array(data.buffer, data.byteOffset + p, nb),
              this._macPos
            ) : this._mac.set(data, this._macPos), p += nb, this._macPos += nb, this._macPos < this._macActualLen)
              return;
          }
          this._macETM || this._macInstance.update(this._packet);
          let calculated = this._macInstance.digest();
          if (this._macActualLen < calculated.length && (calculated = new Uint8Array(
            calculated.buffer,
            calculated.byteOffset,
            this._macActualLen
          )), !timingSafeEquals(calculated, this._mac))
            throw new Error("Invalid MAC");
          let payload = new FastBuffer(
            this._packet.buffer,
            this._packet.byteOffset + 1,
            this._packet.length - this._packet[0] - 1
          );
          this.inSeqno = this.inSeqno + 1 >>> 0, this._blockPos = 0, this._len = 0, this._packet = null, this._packetPos = 0, this._pktLen = 0, this._macPos = 0, this._macInstance = null;
          {
            let ret = this._onPayload(payload);
            if (ret !== void 0)
              return ret === !1 ? p : ret;
          }
        }
      }
    }, GenericDecipherBinding = class {
      constructor(config) {
        let dec = config.inbound;
        this.inSeqno = dec.seqno, this._onPayload = dec.onPayload, this._instance = new GenericDecipher(
          dec.decipherInfo.sslName,
          dec.decipherKey,
          dec.decipherIV,
          dec.macInfo.sslName,
          dec.macKey,
          dec.macInfo.isETM,
          dec.macInfo.actualLen
        ), this._block = Buffer.allocUnsafe(
          dec.macInfo.isETM || dec.decipherInfo.stream ? 4 : dec.decipherInfo.blockLen
        ), this._blockPos = 0, this._len = 0, this._packet = null, this._pktLen = 0, this._mac = Buffer.allocUnsafe(dec.macInfo.actualLen), this._macPos = 0, this._macActualLen = dec.macInfo.actualLen, this._macETM = dec.macInfo.isETM;
      }
      free() {
        this._instance.free();
      }
      decrypt(data, p, dataLen) {
        for (; p < dataLen; ) {
          if (this._blockPos < this._block.length) {
            let nb = Math.min(this._block.length - this._blockPos, dataLen - p);
            if (p !== 0 || nb !== dataLen || nb < data.length ? this._block.set(
              new Uint8Array(data.buffer, data.byteOffset + p, nb),
              this._blockPos
            ) : this._block.set(data, this._blockPos), p += nb, this._blockPos += nb, this._blockPos < this._block.length)
              return;
            let need;
            if (this._macETM ? this._len = need = readUInt32BE(this._block, 0) : (this._instance.decryptBlock(this._block), this._len = readUInt32BE(this._block, 0), need = 4 + this._len - this._block.length), this._len > MAX_PACKET_SIZE || this._len < 5 || (need & this._block.length - 1) !== 0)
              throw new Error("Bad packet length");
            if (this._macETM || (this._pktLen = this._block.length - 4, this._pktLen && (this._packet = Buffer.allocUnsafe(this._len), this._packet.set(
              new Uint8Array(
                this._block.buffer,
                this._block.byteOffset + 4,
                this._pktLen
              ),
              0
            ))), p >= dataLen)
              return;
          }
          if (this._pktLen < this._len) {
            let nb = Math.min(this._len - this._pktLen, dataLen - p), encrypted;
            if (p !== 0 || nb !== dataLen ? encrypted = new Uint8Array(data.buffer, data.byteOffset + p, nb) : encrypted = data, nb === this._len ? this._packet = encrypted : (this._packet || (this._packet = Buffer.allocUnsafe(this._len)), this._packet.set(encrypted, this._pktLen)), p += nb, this._pktLen += nb, this._pktLen < this._len || p >= dataLen)
              return;
          }
          {
            let nb = Math.min(this._macActualLen - this._macPos, dataLen - p);
            if (p !== 0 || nb !== dataLen ? this._mac.set(
              new Uint8Array(data.buffer, data.byteOffset + p, nb),
              this._macPos
            ) : this._mac.set(data, this._macPos), p += nb, this._macPos += nb, this._macPos < this._macActualLen)
              return;
          }
          this._instance.decrypt(
            this._packet,
            this.inSeqno,
            this._block,
            this._mac
          );
          let payload = new FastBuffer(
            this._packet.buffer,
            this._packet.byteOffset + 1,
            this._packet.length - this._packet[0] - 1
          );
          this.inSeqno = this.inSeqno + 1 >>> 0, this._blockPos = 0, this._len = 0, this._packet = null, this._pktLen = 0, this._macPos = 0, this._macInstance = null;
          {
            let ret = this._onPayload(payload);
            if (ret !== void 0)
              return ret === !1 ? p : ret;
          }
        }
      }
    };
    function ivIncrement(iv) {
      ++iv[11] >>> 8 && ++iv[10] >>> 8 && ++iv[9] >>> 8 && ++iv[8] >>> 8 && ++iv[7] >>> 8 && ++iv[6] >>> 8 && ++iv[5] >>> 8 && ++iv[4] >>> 8;
    }
    var intToBytes = (() => {
      let ret = Buffer.alloc(4);
      return (n) => (ret[0] = n >>> 24, ret[1] = n >>> 16, ret[2] = n >>> 8, ret[3] = n, ret);
    })();
    function timingSafeEquals(a, b) {
      return a.length !== b.length ? (timingSafeEqual(a, a), !1) : timingSafeEqual(a, b);
    }
    function createCipher(config) {
      if (typeof config != "object" || config === null)
        throw new Error("Invalid config");
      if (typeof config.outbound != "object" || config.outbound === null)
        throw new Error("Invalid outbound");
      let outbound = config.outbound;
      if (typeof outbound.onWrite != "function")
        throw new Error("Invalid outbound.onWrite");
      if (typeof outbound.cipherInfo != "object" || outbound.cipherInfo === null)
        throw new Error("Invalid outbound.cipherInfo");
      if (!Buffer.isBuffer(outbound.cipherKey) || outbound.cipherKey.length !== outbound.cipherInfo.keyLen)
        throw new Error("Invalid outbound.cipherKey");
      if (outbound.cipherInfo.ivLen && (!Buffer.isBuffer(outbound.cipherIV) || outbound.cipherIV.length !== outbound.cipherInfo.ivLen))
        throw new Error("Invalid outbound.cipherIV");
      if (typeof outbound.seqno != "number" || outbound.seqno < 0 || outbound.seqno > MAX_SEQNO)
        throw new Error("Invalid outbound.seqno");
      let forceNative = !!outbound.forceNative;
      switch (outbound.cipherInfo.sslName) {
        case "aes-128-gcm":
        case "aes-256-gcm":
          return AESGCMCipher && !forceNative ? new AESGCMCipherBinding(config) : new AESGCMCipherNative(config);
        case "chacha20":
          return ChaChaPolyCipher && !forceNative ? new ChaChaPolyCipherBinding(config) : new ChaChaPolyCipherNative(config);
        default: {
          if (typeof outbound.macInfo != "object" || outbound.macInfo === null)
            throw new Error("Invalid outbound.macInfo");
          if (!Buffer.isBuffer(outbound.macKey) || outbound.macKey.length !== outbound.macInfo.len)
            throw new Error("Invalid outbound.macKey");
          return GenericCipher && !forceNative ? new GenericCipherBinding(config) : new GenericCipherNative(config);
        }
      }
    }
    function createDecipher(config) {
      if (typeof config != "object" || config === null)
        throw new Error("Invalid config");
      if (typeof config.inbound != "object" || config.inbound === null)
        throw new Error("Invalid inbound");
      let inbound = config.inbound;
      if (typeof inbound.onPayload != "function")
        throw new Error("Invalid inbound.onPayload");
      if (typeof inbound.decipherInfo != "object" || inbound.decipherInfo === null)
        throw new Error("Invalid inbound.decipherInfo");
      if (!Buffer.isBuffer(inbound.decipherKey) || inbound.decipherKey.length !== inbound.decipherInfo.keyLen)
        throw new Error("Invalid inbound.decipherKey");
      if (inbound.decipherInfo.ivLen && (!Buffer.isBuffer(inbound.decipherIV) || inbound.decipherIV.length !== inbound.decipherInfo.ivLen))
        throw new Error("Invalid inbound.decipherIV");
      if (typeof inbound.seqno != "number" || inbound.seqno < 0 || inbound.seqno > MAX_SEQNO)
        throw new Error("Invalid inbound.seqno");
      let forceNative = !!inbound.forceNative;
      switch (inbound.decipherInfo.sslName) {
        case "aes-128-gcm":
        case "aes-256-gcm":
          return AESGCMDecipher && !forceNative ? new AESGCMDecipherBinding(config) : new AESGCMDecipherNative(config);
        case "chacha20":
          return ChaChaPolyDecipher && !forceNative ? new ChaChaPolyDecipherBinding(config) : new ChaChaPolyDecipherNative(config);
        default: {
          if (typeof inbound.macInfo != "object" || inbound.macInfo === null)
            throw new Error("Invalid inbound.macInfo");
          if (!Buffer.isBuffer(inbound.macKey) || inbound.macKey.length !== inbound.macInfo.len)
            throw new Error("Invalid inbound.macKey");
          return GenericDecipher && !forceNative ? new GenericDecipherBinding(config) : new GenericDecipherNative(config);
        }
      }
    }
    module.exports = {
      CIPHER_INFO,
      MAC_INFO,
      bindingAvailable: !!binding,
      init: new Promise(async (resolve, reject) => {
        try {
          POLY1305_WASM_MODULE = await require_poly1305()(), POLY1305_RESULT_MALLOC = POLY1305_WASM_MODULE._malloc(16), poly1305_auth = POLY1305_WASM_MODULE.cwrap(
            "poly1305_auth",
            null,
            ["number", "array", "number", "array", "number", "array"]
          );
        } catch (ex) {
          return reject(ex);
        }
        resolve();
      }),
      NullCipher,
      createCipher,
      NullDecipher,
      createDecipher
    };
  }
});

// node_modules/ssh2/lib/protocol/keyParser.js
var require_keyParser = __commonJS({
  "node_modules/ssh2/lib/protocol/keyParser.js"(exports, module) {
    "use strict";
    var {
      createDecipheriv,
      createECDH,
      createHash: createHash2,
      createHmac: createHmac2,
      createSign,
      createVerify,
      getCiphers,
      sign: sign_,
      verify: verify_
    } = __require("crypto"), supportedOpenSSLCiphers = getCiphers(), { Ber } = require_lib(), bcrypt_pbkdf = require_bcrypt_pbkdf().pbkdf, { CIPHER_INFO } = require_crypto(), { eddsaSupported, SUPPORTED_CIPHER } = require_constants(), {
      bufferSlice,
      makeBufferParser,
      readString,
      readUInt32BE,
      writeUInt32BE
    } = require_utils(), SYM_HASH_ALGO = /* @__PURE__ */ Symbol("Hash Algorithm"), SYM_PRIV_PEM = /* @__PURE__ */ Symbol("Private key PEM"), SYM_PUB_PEM = /* @__PURE__ */ Symbol("Public key PEM"), SYM_PUB_SSH = /* @__PURE__ */ Symbol("Public key SSH"), SYM_DECRYPTED = /* @__PURE__ */ Symbol("Decrypted Key"), CIPHER_INFO_OPENSSL = /* @__PURE__ */ Object.create(null);
    {
      let keys = Object.keys(CIPHER_INFO);
      for (let i = 0; i < keys.length; ++i) {
        let cipherName = CIPHER_INFO[keys[i]].sslName;
        !cipherName || CIPHER_INFO_OPENSSL[cipherName] || (CIPHER_INFO_OPENSSL[cipherName] = CIPHER_INFO[keys[i]]);
      }
    }
    var binaryKeyParser = makeBufferParser();
    function makePEM(type, data) {
      data = data.base64Slice(0, data.length);
      let formatted = data.replace(/.{64}/g, `$&
`);
      return data.length & 63 && (formatted += `
`), `-----BEGIN ${type} KEY-----
${formatted}-----END ${type} KEY-----`;
    }
    function combineBuffers(buf1, buf2) {
      let result = Buffer.allocUnsafe(buf1.length + buf2.length);
      return result.set(buf1, 0), result.set(buf2, buf1.length), result;
    }
    function skipFields(buf, nfields) {
      let bufLen = buf.length, pos = buf._pos || 0;
      for (let i = 0; i < nfields; ++i) {
        let left = bufLen - pos;
        if (pos >= bufLen || left < 4)
          return !1;
        let len = readUInt32BE(buf, pos);
        if (left < 4 + len)
          return !1;
        pos += 4 + len;
      }
      return buf._pos = pos, !0;
    }
    function genOpenSSLRSAPub(n, e) {
      let asnWriter = new Ber.Writer();
      return asnWriter.startSequence(), asnWriter.startSequence(), asnWriter.writeOID("1.2.840.113549.1.1.1"), asnWriter.writeNull(), asnWriter.endSequence(), asnWriter.startSequence(Ber.BitString), asnWriter.writeByte(0), asnWriter.startSequence(), asnWriter.writeBuffer(n, Ber.Integer), asnWriter.writeBuffer(e, Ber.Integer), asnWriter.endSequence(), asnWriter.endSequence(), asnWriter.endSequence(), makePEM("PUBLIC", asnWriter.buffer);
    }
    function genOpenSSHRSAPub(n, e) {
      let publicKey = Buffer.allocUnsafe(15 + e.length + 4 + n.length);
      writeUInt32BE(publicKey, 7, 0), publicKey.utf8Write("ssh-rsa", 4, 7);
      let i = 11;
      return writeUInt32BE(publicKey, e.length, i), publicKey.set(e, i += 4), writeUInt32BE(publicKey, n.length, i += e.length), publicKey.set(n, i + 4), publicKey;
    }
    var genOpenSSLRSAPriv = /* @__PURE__ */ (() => {
      function genRSAASN1Buf(n, e, d, p, q, dmp1, dmq1, iqmp) {
        let asnWriter = new Ber.Writer();
        return asnWriter.startSequence(), asnWriter.writeInt(0, Ber.Integer), asnWriter.writeBuffer(n, Ber.Integer), asnWriter.writeBuffer(e, Ber.Integer), asnWriter.writeBuffer(d, Ber.Integer), asnWriter.writeBuffer(p, Ber.Integer), asnWriter.writeBuffer(q, Ber.Integer), asnWriter.writeBuffer(dmp1, Ber.Integer), asnWriter.writeBuffer(dmq1, Ber.Integer), asnWriter.writeBuffer(iqmp, Ber.Integer), asnWriter.endSequence(), asnWriter.buffer;
      }
      function bigIntFromBuffer(buf) {
        return BigInt(`0x${buf.hexSlice(0, buf.length)}`);
      }
      function bigIntToBuffer(bn) {
        let hex = bn.toString(16);
        if ((hex.length & 1) !== 0)
          hex = `0${hex}`;
        else {
          let sigbit = hex.charCodeAt(0);
          (sigbit === 56 || sigbit === 57 || sigbit >= 97 && sigbit <= 102) && (hex = `00${hex}`);
        }
        return Buffer.from(hex, "hex");
      }
      return function(n, e, d, iqmp, p, q) {
        let bn_d = bigIntFromBuffer(d), dmp1 = bigIntToBuffer(bn_d % (bigIntFromBuffer(p) - 1n)), dmq1 = bigIntToBuffer(bn_d % (bigIntFromBuffer(q) - 1n));
        return makePEM(
          "RSA PRIVATE",
          genRSAASN1Buf(n, e, d, p, q, dmp1, dmq1, iqmp)
        );
      };
    })();
    function genOpenSSLDSAPub(p, q, g, y) {
      let asnWriter = new Ber.Writer();
      return asnWriter.startSequence(), asnWriter.startSequence(), asnWriter.writeOID("1.2.840.10040.4.1"), asnWriter.startSequence(), asnWriter.writeBuffer(p, Ber.Integer), asnWriter.writeBuffer(q, Ber.Integer), asnWriter.writeBuffer(g, Ber.Integer), asnWriter.endSequence(), asnWriter.endSequence(), asnWriter.startSequence(Ber.BitString), asnWriter.writeByte(0), asnWriter.writeBuffer(y, Ber.Integer), asnWriter.endSequence(), asnWriter.endSequence(), makePEM("PUBLIC", asnWriter.buffer);
    }
    function genOpenSSHDSAPub(p, q, g, y) {
      let publicKey = Buffer.allocUnsafe(
        15 + p.length + 4 + q.length + 4 + g.length + 4 + y.length
      );
      writeUInt32BE(publicKey, 7, 0), publicKey.utf8Write("ssh-dss", 4, 7);
      let i = 11;
      return writeUInt32BE(publicKey, p.length, i), publicKey.set(p, i += 4), writeUInt32BE(publicKey, q.length, i += p.length), publicKey.set(q, i += 4), writeUInt32BE(publicKey, g.length, i += q.length), publicKey.set(g, i += 4), writeUInt32BE(publicKey, y.length, i += g.length), publicKey.set(y, i + 4), publicKey;
    }
    function genOpenSSLDSAPriv(p, q, g, y, x) {
      let asnWriter = new Ber.Writer();
      return asnWriter.startSequence(), asnWriter.writeInt(0, Ber.Integer), asnWriter.writeBuffer(p, Ber.Integer), asnWriter.writeBuffer(q, Ber.Integer), asnWriter.writeBuffer(g, Ber.Integer), asnWriter.writeBuffer(y, Ber.Integer), asnWriter.writeBuffer(x, Ber.Integer), asnWriter.endSequence(), makePEM("DSA PRIVATE", asnWriter.buffer);
    }
    function genOpenSSLEdPub(pub) {
      let asnWriter = new Ber.Writer();
      return asnWriter.startSequence(), asnWriter.startSequence(), asnWriter.writeOID("1.3.101.112"), asnWriter.endSequence(), asnWriter.startSequence(Ber.BitString), asnWriter.writeByte(0), asnWriter._ensure(pub.length), asnWriter._buf.set(pub, asnWriter._offset), asnWriter._offset += pub.length, asnWriter.endSequence(), asnWriter.endSequence(), makePEM("PUBLIC", asnWriter.buffer);
    }
    function genOpenSSHEdPub(pub) {
      let publicKey = Buffer.allocUnsafe(19 + pub.length);
      return writeUInt32BE(publicKey, 11, 0), publicKey.utf8Write("ssh-ed25519", 4, 11), writeUInt32BE(publicKey, pub.length, 15), publicKey.set(pub, 19), publicKey;
    }
    function genOpenSSLEdPriv(priv) {
      let asnWriter = new Ber.Writer();
      return asnWriter.startSequence(), asnWriter.writeInt(0, Ber.Integer), asnWriter.startSequence(), asnWriter.writeOID("1.3.101.112"), asnWriter.endSequence(), asnWriter.startSequence(Ber.OctetString), asnWriter.writeBuffer(priv, Ber.OctetString), asnWriter.endSequence(), asnWriter.endSequence(), makePEM("PRIVATE", asnWriter.buffer);
    }
    function genOpenSSLECDSAPub(oid, Q) {
      let asnWriter = new Ber.Writer();
      return asnWriter.startSequence(), asnWriter.startSequence(), asnWriter.writeOID("1.2.840.10045.2.1"), asnWriter.writeOID(oid), asnWriter.endSequence(), asnWriter.startSequence(Ber.BitString), asnWriter.writeByte(0), asnWriter._ensure(Q.length), asnWriter._buf.set(Q, asnWriter._offset), asnWriter._offset += Q.length, asnWriter.endSequence(), asnWriter.endSequence(), makePEM("PUBLIC", asnWriter.buffer);
    }
    function genOpenSSHECDSAPub(oid, Q) {
      let curveName;
      switch (oid) {
        case "1.2.840.10045.3.1.7":
          curveName = "nistp256";
          break;
        case "1.3.132.0.34":
          curveName = "nistp384";
          break;
        case "1.3.132.0.35":
          curveName = "nistp521";
          break;
        default:
          return;
      }
      let publicKey = Buffer.allocUnsafe(39 + Q.length);
      return writeUInt32BE(publicKey, 19, 0), publicKey.utf8Write(`ecdsa-sha2-${curveName}`, 4, 19), writeUInt32BE(publicKey, 8, 23), publicKey.utf8Write(curveName, 27, 8), writeUInt32BE(publicKey, Q.length, 35), publicKey.set(Q, 39), publicKey;
    }
    function genOpenSSLECDSAPriv(oid, pub, priv) {
      let asnWriter = new Ber.Writer();
      return asnWriter.startSequence(), asnWriter.writeInt(1, Ber.Integer), asnWriter.writeBuffer(priv, Ber.OctetString), asnWriter.startSequence(160), asnWriter.writeOID(oid), asnWriter.endSequence(), asnWriter.startSequence(161), asnWriter.startSequence(Ber.BitString), asnWriter.writeByte(0), asnWriter._ensure(pub.length), asnWriter._buf.set(pub, asnWriter._offset), asnWriter._offset += pub.length, asnWriter.endSequence(), asnWriter.endSequence(), asnWriter.endSequence(), makePEM("EC PRIVATE", asnWriter.buffer);
    }
    function genOpenSSLECDSAPubFromPriv(curveName, priv) {
      let tempECDH = createECDH(curveName);
      return tempECDH.setPrivateKey(priv), tempECDH.getPublicKey();
    }
    var BaseKey = {
      sign: typeof sign_ == "function" ? function(data, algo) {
        let pem = this[SYM_PRIV_PEM];
        if (pem === null)
          return new Error("No private key available");
        (!algo || typeof algo != "string") && (algo = this[SYM_HASH_ALGO]);
        try {
          return sign_(algo, data, pem);
        } catch (ex) {
          return ex;
        }
      } : function(data, algo) {
        let pem = this[SYM_PRIV_PEM];
        if (pem === null)
          return new Error("No private key available");
        (!algo || typeof algo != "string") && (algo = this[SYM_HASH_ALGO]);
        let signature = createSign(algo);
        signature.update(data);
        try {
          return signature.sign(pem);
        } catch (ex) {
          return ex;
        }
      },
      verify: typeof verify_ == "function" ? function(data, signature, algo) {
        let pem = this[SYM_PUB_PEM];
        if (pem === null)
          return new Error("No public key available");
        (!algo || typeof algo != "string") && (algo = this[SYM_HASH_ALGO]);
        try {
          return verify_(algo, data, pem, signature);
        } catch (ex) {
          return ex;
        }
      } : function(data, signature, algo) {
        let pem = this[SYM_PUB_PEM];
        if (pem === null)
          return new Error("No public key available");
        (!algo || typeof algo != "string") && (algo = this[SYM_HASH_ALGO]);
        let verifier = createVerify(algo);
        verifier.update(data);
        try {
          return verifier.verify(pem, signature);
        } catch (ex) {
          return ex;
        }
      },
      isPrivateKey: function() {
        return this[SYM_PRIV_PEM] !== null;
      },
      getPrivatePEM: function() {
        return this[SYM_PRIV_PEM];
      },
      getPublicPEM: function() {
        return this[SYM_PUB_PEM];
      },
      getPublicSSH: function() {
        return this[SYM_PUB_SSH];
      },
      equals: function(key) {
        let parsed = parseKey(key);
        return parsed instanceof Error ? !1 : this.type === parsed.type && this[SYM_PRIV_PEM] === parsed[SYM_PRIV_PEM] && this[SYM_PUB_PEM] === parsed[SYM_PUB_PEM] && this[SYM_PUB_SSH].equals(parsed[SYM_PUB_SSH]);
      }
    };
    function OpenSSH_Private(type, comment, privPEM, pubPEM, pubSSH, algo, decrypted) {
      this.type = type, this.comment = comment, this[SYM_PRIV_PEM] = privPEM, this[SYM_PUB_PEM] = pubPEM, this[SYM_PUB_SSH] = pubSSH, this[SYM_HASH_ALGO] = algo, this[SYM_DECRYPTED] = decrypted;
    }
    OpenSSH_Private.prototype = BaseKey;
    {
      let parseOpenSSHPrivKeys = function(data, nkeys, decrypted) {
        let keys = [];
        if (data.length < 8)
          return new Error("Malformed OpenSSH private key");
        let check1 = readUInt32BE(data, 0), check2 = readUInt32BE(data, 4);
        if (check1 !== check2)
          return decrypted ? new Error(
            "OpenSSH key integrity check failed -- bad passphrase?"
          ) : new Error("OpenSSH key integrity check failed");
        data._pos = 8;
        let i, oid;
        for (i = 0; i < nkeys; ++i) {
          let algo, privPEM, pubPEM, pubSSH, type = readString(data, data._pos, !0);
          if (type === void 0)
            return new Error("Malformed OpenSSH private key");
          switch (type) {
            case "ssh-rsa": {
              let n = readString(data, data._pos);
              if (n === void 0)
                return new Error("Malformed OpenSSH private key");
              let e = readString(data, data._pos);
              if (e === void 0)
                return new Error("Malformed OpenSSH private key");
              let d = readString(data, data._pos);
              if (d === void 0)
                return new Error("Malformed OpenSSH private key");
              let iqmp = readString(data, data._pos);
              if (iqmp === void 0)
                return new Error("Malformed OpenSSH private key");
              let p = readString(data, data._pos);
              if (p === void 0)
                return new Error("Malformed OpenSSH private key");
              let q = readString(data, data._pos);
              if (q === void 0)
                return new Error("Malformed OpenSSH private key");
              pubPEM = genOpenSSLRSAPub(n, e), pubSSH = genOpenSSHRSAPub(n, e), privPEM = genOpenSSLRSAPriv(n, e, d, iqmp, p, q), algo = "sha1";
              break;
            }
            case "ssh-dss": {
              let p = readString(data, data._pos);
              if (p === void 0)
                return new Error("Malformed OpenSSH private key");
              let q = readString(data, data._pos);
              if (q === void 0)
                return new Error("Malformed OpenSSH private key");
              let g = readString(data, data._pos);
              if (g === void 0)
                return new Error("Malformed OpenSSH private key");
              let y = readString(data, data._pos);
              if (y === void 0)
                return new Error("Malformed OpenSSH private key");
              let x = readString(data, data._pos);
              if (x === void 0)
                return new Error("Malformed OpenSSH private key");
              pubPEM = genOpenSSLDSAPub(p, q, g, y), pubSSH = genOpenSSHDSAPub(p, q, g, y), privPEM = genOpenSSLDSAPriv(p, q, g, y, x), algo = "sha1";
              break;
            }
            case "ssh-ed25519": {
              if (!eddsaSupported)
                return new Error(`Unsupported OpenSSH private key type: ${type}`);
              let edpub = readString(data, data._pos);
              if (edpub === void 0 || edpub.length !== 32)
                return new Error("Malformed OpenSSH private key");
              let edpriv = readString(data, data._pos);
              if (edpriv === void 0 || edpriv.length !== 64)
                return new Error("Malformed OpenSSH private key");
              pubPEM = genOpenSSLEdPub(edpub), pubSSH = genOpenSSHEdPub(edpub), privPEM = genOpenSSLEdPriv(bufferSlice(edpriv, 0, 32)), algo = null;
              break;
            }
            case "ecdsa-sha2-nistp256":
              algo = "sha256", oid = "1.2.840.10045.3.1.7";
            // FALLTHROUGH
            case "ecdsa-sha2-nistp384":
              algo === void 0 && (algo = "sha384", oid = "1.3.132.0.34");
            // FALLTHROUGH
            case "ecdsa-sha2-nistp521": {
              if (algo === void 0 && (algo = "sha512", oid = "1.3.132.0.35"), !skipFields(data, 1))
                return new Error("Malformed OpenSSH private key");
              let ecpub = readString(data, data._pos);
              if (ecpub === void 0)
                return new Error("Malformed OpenSSH private key");
              let ecpriv = readString(data, data._pos);
              if (ecpriv === void 0)
                return new Error("Malformed OpenSSH private key");
              pubPEM = genOpenSSLECDSAPub(oid, ecpub), pubSSH = genOpenSSHECDSAPub(oid, ecpub), privPEM = genOpenSSLECDSAPriv(oid, ecpub, ecpriv);
              break;
            }
            default:
              return new Error(`Unsupported OpenSSH private key type: ${type}`);
          }
          let privComment = readString(data, data._pos, !0);
          if (privComment === void 0)
            return new Error("Malformed OpenSSH private key");
          keys.push(
            new OpenSSH_Private(
              type,
              privComment,
              privPEM,
              pubPEM,
              pubSSH,
              algo,
              decrypted
            )
          );
        }
        let cnt = 0;
        for (i = data._pos; i < data.length; ++i)
          if (data[i] !== ++cnt % 255)
            return new Error("Malformed OpenSSH private key");
        return keys;
      }, regexp = /^-----BEGIN OPENSSH PRIVATE KEY-----(?:\r\n|\n)([\s\S]+)(?:\r\n|\n)-----END OPENSSH PRIVATE KEY-----$/;
      OpenSSH_Private.parse = (str, passphrase) => {
        let m = regexp.exec(str);
        if (m === null)
          return null;
        let ret, data = Buffer.from(m[1], "base64");
        if (data.length < 31)
          return new Error("Malformed OpenSSH private key");
        let magic = data.utf8Slice(0, 15);
        if (magic !== "openssh-key-v1\0")
          return new Error(`Unsupported OpenSSH key magic: ${magic}`);
        let cipherName = readString(data, 15, !0);
        if (cipherName === void 0)
          return new Error("Malformed OpenSSH private key");
        if (cipherName !== "none" && SUPPORTED_CIPHER.indexOf(cipherName) === -1)
          return new Error(`Unsupported cipher for OpenSSH key: ${cipherName}`);
        let kdfName = readString(data, data._pos, !0);
        if (kdfName === void 0)
          return new Error("Malformed OpenSSH private key");
        if (kdfName !== "none") {
          if (cipherName === "none")
            return new Error("Malformed OpenSSH private key");
          if (kdfName !== "bcrypt")
            return new Error(`Unsupported kdf name for OpenSSH key: ${kdfName}`);
          if (!passphrase)
            return new Error(
              "Encrypted private OpenSSH key detected, but no passphrase given"
            );
        } else if (cipherName !== "none")
          return new Error("Malformed OpenSSH private key");
        let encInfo, cipherKey, cipherIV;
        cipherName !== "none" && (encInfo = CIPHER_INFO[cipherName]);
        let kdfOptions = readString(data, data._pos);
        if (kdfOptions === void 0)
          return new Error("Malformed OpenSSH private key");
        if (kdfOptions.length)
          switch (kdfName) {
            case "none":
              return new Error("Malformed OpenSSH private key");
            case "bcrypt": {
              let salt = readString(kdfOptions, 0);
              if (salt === void 0 || kdfOptions._pos + 4 > kdfOptions.length)
                return new Error("Malformed OpenSSH private key");
              let rounds = readUInt32BE(kdfOptions, kdfOptions._pos), gen = Buffer.allocUnsafe(encInfo.keyLen + encInfo.ivLen);
              if (bcrypt_pbkdf(
                passphrase,
                passphrase.length,
                salt,
                salt.length,
                gen,
                gen.length,
                rounds
              ) !== 0)
                return new Error("Failed to generate information to decrypt key");
              cipherKey = bufferSlice(gen, 0, encInfo.keyLen), cipherIV = bufferSlice(gen, encInfo.keyLen, gen.length);
              break;
            }
          }
        else if (kdfName !== "none")
          return new Error("Malformed OpenSSH private key");
        if (data._pos + 3 >= data.length)
          return new Error("Malformed OpenSSH private key");
        let keyCount = readUInt32BE(data, data._pos);
        if (data._pos += 4, keyCount > 0) {
          for (let i = 0; i < keyCount; ++i) {
            let pubData = readString(data, data._pos);
            if (pubData === void 0)
              return new Error("Malformed OpenSSH private key");
            if (readString(pubData, 0, !0) === void 0)
              return new Error("Malformed OpenSSH private key");
          }
          let privBlob = readString(data, data._pos);
          if (privBlob === void 0)
            return new Error("Malformed OpenSSH private key");
          if (cipherKey !== void 0) {
            if (privBlob.length < encInfo.blockLen || privBlob.length % encInfo.blockLen !== 0)
              return new Error("Malformed OpenSSH private key");
            try {
              let options = { authTagLength: encInfo.authLen }, decipher = createDecipheriv(
                encInfo.sslName,
                cipherKey,
                cipherIV,
                options
              );
              if (decipher.setAutoPadding(!1), encInfo.authLen > 0) {
                if (data.length - data._pos < encInfo.authLen)
                  return new Error("Malformed OpenSSH private key");
                decipher.setAuthTag(
                  bufferSlice(data, data._pos, data._pos += encInfo.authLen)
                );
              }
              privBlob = combineBuffers(
                decipher.update(privBlob),
                decipher.final()
              );
            } catch (ex) {
              return ex;
            }
          }
          if (data._pos !== data.length)
            return new Error("Malformed OpenSSH private key");
          ret = parseOpenSSHPrivKeys(privBlob, keyCount, cipherKey !== void 0);
        } else
          ret = [];
        return ret instanceof Error ? ret : ret[0];
      };
    }
    function OpenSSH_Old_Private(type, comment, privPEM, pubPEM, pubSSH, algo, decrypted) {
      this.type = type, this.comment = comment, this[SYM_PRIV_PEM] = privPEM, this[SYM_PUB_PEM] = pubPEM, this[SYM_PUB_SSH] = pubSSH, this[SYM_HASH_ALGO] = algo, this[SYM_DECRYPTED] = decrypted;
    }
    OpenSSH_Old_Private.prototype = BaseKey;
    {
      let regexp = /^-----BEGIN (RSA|DSA|EC) PRIVATE KEY-----(?:\r\n|\n)((?:[^:]+:\s*[\S].*(?:\r\n|\n))*)([\s\S]+)(?:\r\n|\n)-----END (RSA|DSA|EC) PRIVATE KEY-----$/;
      OpenSSH_Old_Private.parse = (str, passphrase) => {
        let m = regexp.exec(str);
        if (m === null)
          return null;
        let privBlob = Buffer.from(m[3], "base64"), headers = m[2], decrypted = !1;
        if (headers !== void 0) {
          headers = headers.split(/\r\n|\n/g);
          for (let i = 0; i < headers.length; ++i) {
            let header = headers[i], sepIdx = header.indexOf(":");
            if (header.slice(0, sepIdx) === "DEK-Info") {
              let val = header.slice(sepIdx + 2);
              if (sepIdx = val.indexOf(","), sepIdx === -1)
                continue;
              let cipherName = val.slice(0, sepIdx).toLowerCase();
              if (supportedOpenSSLCiphers.indexOf(cipherName) === -1)
                return new Error(
                  `Cipher (${cipherName}) not supported for encrypted OpenSSH private key`
                );
              let encInfo = CIPHER_INFO_OPENSSL[cipherName];
              if (!encInfo)
                return new Error(
                  `Cipher (${cipherName}) not supported for encrypted OpenSSH private key`
                );
              let cipherIV = Buffer.from(val.slice(sepIdx + 1), "hex");
              if (cipherIV.length !== encInfo.ivLen)
                return new Error("Malformed encrypted OpenSSH private key");
              if (!passphrase)
                return new Error(
                  "Encrypted OpenSSH private key detected, but no passphrase given"
                );
              let ivSlice = bufferSlice(cipherIV, 0, 8), cipherKey = createHash2("md5").update(passphrase).update(ivSlice).digest();
              for (; cipherKey.length < encInfo.keyLen; )
                cipherKey = combineBuffers(
                  cipherKey,
                  createHash2("md5").update(cipherKey).update(passphrase).update(ivSlice).digest()
                );
              cipherKey.length > encInfo.keyLen && (cipherKey = bufferSlice(cipherKey, 0, encInfo.keyLen));
              try {
                let decipher = createDecipheriv(cipherName, cipherKey, cipherIV);
                decipher.setAutoPadding(!1), privBlob = combineBuffers(
                  decipher.update(privBlob),
                  decipher.final()
                ), decrypted = !0;
              } catch (ex) {
                return ex;
              }
            }
          }
        }
        let type, privPEM, pubPEM, pubSSH, algo, reader, errMsg = "Malformed OpenSSH private key";
        switch (decrypted && (errMsg += ". Bad passphrase?"), m[1]) {
          case "RSA":
            type = "ssh-rsa", privPEM = makePEM("RSA PRIVATE", privBlob);
            try {
              reader = new Ber.Reader(privBlob), reader.readSequence(), reader.readInt();
              let n = reader.readString(Ber.Integer, !0);
              if (n === null)
                return new Error(errMsg);
              let e = reader.readString(Ber.Integer, !0);
              if (e === null)
                return new Error(errMsg);
              pubPEM = genOpenSSLRSAPub(n, e), pubSSH = genOpenSSHRSAPub(n, e);
            } catch {
              return new Error(errMsg);
            }
            algo = "sha1";
            break;
          case "DSA":
            type = "ssh-dss", privPEM = makePEM("DSA PRIVATE", privBlob);
            try {
              reader = new Ber.Reader(privBlob), reader.readSequence(), reader.readInt();
              let p = reader.readString(Ber.Integer, !0);
              if (p === null)
                return new Error(errMsg);
              let q = reader.readString(Ber.Integer, !0);
              if (q === null)
                return new Error(errMsg);
              let g = reader.readString(Ber.Integer, !0);
              if (g === null)
                return new Error(errMsg);
              let y = reader.readString(Ber.Integer, !0);
              if (y === null)
                return new Error(errMsg);
              pubPEM = genOpenSSLDSAPub(p, q, g, y), pubSSH = genOpenSSHDSAPub(p, q, g, y);
            } catch {
              return new Error(errMsg);
            }
            algo = "sha1";
            break;
          case "EC": {
            let ecSSLName, ecPriv, ecOID;
            try {
              reader = new Ber.Reader(privBlob), reader.readSequence(), reader.readInt(), ecPriv = reader.readString(Ber.OctetString, !0), reader.readByte();
              let offset = reader.readLength();
              if (offset !== null) {
                if (reader._offset = offset, ecOID = reader.readOID(), ecOID === null)
                  return new Error(errMsg);
                switch (ecOID) {
                  case "1.2.840.10045.3.1.7":
                    ecSSLName = "prime256v1", type = "ecdsa-sha2-nistp256", algo = "sha256";
                    break;
                  case "1.3.132.0.34":
                    ecSSLName = "secp384r1", type = "ecdsa-sha2-nistp384", algo = "sha384";
                    break;
                  case "1.3.132.0.35":
                    ecSSLName = "secp521r1", type = "ecdsa-sha2-nistp521", algo = "sha512";
                    break;
                  default:
                    return new Error(`Unsupported private key EC OID: ${ecOID}`);
                }
              } else
                return new Error(errMsg);
            } catch {
              return new Error(errMsg);
            }
            privPEM = makePEM("EC PRIVATE", privBlob);
            let pubBlob = genOpenSSLECDSAPubFromPriv(ecSSLName, ecPriv);
            pubPEM = genOpenSSLECDSAPub(ecOID, pubBlob), pubSSH = genOpenSSHECDSAPub(ecOID, pubBlob);
            break;
          }
        }
        return new OpenSSH_Old_Private(
          type,
          "",
          privPEM,
          pubPEM,
          pubSSH,
          algo,
          decrypted
        );
      };
    }
    function PPK_Private(type, comment, privPEM, pubPEM, pubSSH, algo, decrypted) {
      this.type = type, this.comment = comment, this[SYM_PRIV_PEM] = privPEM, this[SYM_PUB_PEM] = pubPEM, this[SYM_PUB_SSH] = pubSSH, this[SYM_HASH_ALGO] = algo, this[SYM_DECRYPTED] = decrypted;
    }
    PPK_Private.prototype = BaseKey;
    {
      let EMPTY_PASSPHRASE = Buffer.alloc(0), PPK_IV = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), PPK_PP1 = Buffer.from([0, 0, 0, 0]), PPK_PP2 = Buffer.from([0, 0, 0, 1]), regexp = /^PuTTY-User-Key-File-2: (ssh-(?:rsa|dss))\r?\nEncryption: (aes256-cbc|none)\r?\nComment: ([^\r\n]*)\r?\nPublic-Lines: \d+\r?\n([\s\S]+?)\r?\nPrivate-Lines: \d+\r?\n([\s\S]+?)\r?\nPrivate-MAC: ([^\r\n]+)/;
      PPK_Private.parse = (str, passphrase) => {
        let m = regexp.exec(str);
        if (m === null)
          return null;
        let cipherName = m[2], encrypted = cipherName !== "none";
        if (encrypted && !passphrase)
          return new Error(
            "Encrypted PPK private key detected, but no passphrase given"
          );
        let privBlob = Buffer.from(m[5], "base64");
        if (encrypted) {
          let encInfo = CIPHER_INFO[cipherName], cipherKey = combineBuffers(
            createHash2("sha1").update(PPK_PP1).update(passphrase).digest(),
            createHash2("sha1").update(PPK_PP2).update(passphrase).digest()
          );
          cipherKey.length > encInfo.keyLen && (cipherKey = bufferSlice(cipherKey, 0, encInfo.keyLen));
          try {
            let decipher = createDecipheriv(encInfo.sslName, cipherKey, PPK_IV);
            decipher.setAutoPadding(!1), privBlob = combineBuffers(
              decipher.update(privBlob),
              decipher.final()
            );
          } catch (ex) {
            return ex;
          }
        }
        let type = m[1], comment = m[3], pubBlob = Buffer.from(m[4], "base64"), mac = m[6], typeLen = type.length, cipherNameLen = cipherName.length, commentLen = Buffer.byteLength(comment), pubLen = pubBlob.length, privLen = privBlob.length, macData = Buffer.allocUnsafe(4 + typeLen + 4 + cipherNameLen + 4 + commentLen + 4 + pubLen + 4 + privLen), p = 0;
        if (writeUInt32BE(macData, typeLen, p), macData.utf8Write(type, p += 4, typeLen), writeUInt32BE(macData, cipherNameLen, p += typeLen), macData.utf8Write(cipherName, p += 4, cipherNameLen), writeUInt32BE(macData, commentLen, p += cipherNameLen), macData.utf8Write(comment, p += 4, commentLen), writeUInt32BE(macData, pubLen, p += commentLen), macData.set(pubBlob, p += 4), writeUInt32BE(macData, privLen, p += pubLen), macData.set(privBlob, p + 4), passphrase || (passphrase = EMPTY_PASSPHRASE), createHmac2(
          "sha1",
          createHash2("sha1").update("putty-private-key-file-mac-key").update(passphrase).digest()
        ).update(macData).digest("hex") !== mac)
          return encrypted ? new Error(
            "PPK private key integrity check failed -- bad passphrase?"
          ) : new Error("PPK private key integrity check failed");
        let pubPEM, pubSSH, privPEM;
        switch (pubBlob._pos = 0, skipFields(pubBlob, 1), type) {
          case "ssh-rsa": {
            let e = readString(pubBlob, pubBlob._pos);
            if (e === void 0)
              return new Error("Malformed PPK public key");
            let n = readString(pubBlob, pubBlob._pos);
            if (n === void 0)
              return new Error("Malformed PPK public key");
            let d = readString(privBlob, 0);
            if (d === void 0)
              return new Error("Malformed PPK private key");
            let p2 = readString(privBlob, privBlob._pos);
            if (p2 === void 0)
              return new Error("Malformed PPK private key");
            let q = readString(privBlob, privBlob._pos);
            if (q === void 0)
              return new Error("Malformed PPK private key");
            let iqmp = readString(privBlob, privBlob._pos);
            if (iqmp === void 0)
              return new Error("Malformed PPK private key");
            pubPEM = genOpenSSLRSAPub(n, e), pubSSH = genOpenSSHRSAPub(n, e), privPEM = genOpenSSLRSAPriv(n, e, d, iqmp, p2, q);
            break;
          }
          case "ssh-dss": {
            let p2 = readString(pubBlob, pubBlob._pos);
            if (p2 === void 0)
              return new Error("Malformed PPK public key");
            let q = readString(pubBlob, pubBlob._pos);
            if (q === void 0)
              return new Error("Malformed PPK public key");
            let g = readString(pubBlob, pubBlob._pos);
            if (g === void 0)
              return new Error("Malformed PPK public key");
            let y = readString(pubBlob, pubBlob._pos);
            if (y === void 0)
              return new Error("Malformed PPK public key");
            let x = readString(privBlob, 0);
            if (x === void 0)
              return new Error("Malformed PPK private key");
            pubPEM = genOpenSSLDSAPub(p2, q, g, y), pubSSH = genOpenSSHDSAPub(p2, q, g, y), privPEM = genOpenSSLDSAPriv(p2, q, g, y, x);
            break;
          }
        }
        return new PPK_Private(
          type,
          comment,
          privPEM,
          pubPEM,
          pubSSH,
          "sha1",
          encrypted
        );
      };
    }
    function OpenSSH_Public(type, comment, pubPEM, pubSSH, algo) {
      this.type = type, this.comment = comment, this[SYM_PRIV_PEM] = null, this[SYM_PUB_PEM] = pubPEM, this[SYM_PUB_SSH] = pubSSH, this[SYM_HASH_ALGO] = algo, this[SYM_DECRYPTED] = !1;
    }
    OpenSSH_Public.prototype = BaseKey;
    {
      let regexp;
      eddsaSupported ? regexp = /^(((?:ssh-(?:rsa|dss|ed25519))|ecdsa-sha2-nistp(?:256|384|521))(?:-cert-v0[01]@openssh.com)?) ([A-Z0-9a-z/+=]+)(?:$|\s+([\S].*)?)$/ : regexp = /^(((?:ssh-(?:rsa|dss))|ecdsa-sha2-nistp(?:256|384|521))(?:-cert-v0[01]@openssh.com)?) ([A-Z0-9a-z/+=]+)(?:$|\s+([\S].*)?)$/, OpenSSH_Public.parse = (str) => {
        let m = regexp.exec(str);
        if (m === null)
          return null;
        let fullType = m[1], baseType = m[2], data = Buffer.from(m[3], "base64"), comment = m[4] || "", type = readString(data, data._pos, !0);
        return type === void 0 || type.indexOf(baseType) !== 0 ? new Error("Malformed OpenSSH public key") : parseDER(data, baseType, comment, fullType);
      };
    }
    function RFC4716_Public(type, comment, pubPEM, pubSSH, algo) {
      this.type = type, this.comment = comment, this[SYM_PRIV_PEM] = null, this[SYM_PUB_PEM] = pubPEM, this[SYM_PUB_SSH] = pubSSH, this[SYM_HASH_ALGO] = algo, this[SYM_DECRYPTED] = !1;
    }
    RFC4716_Public.prototype = BaseKey;
    {
      let regexp = /^---- BEGIN SSH2 PUBLIC KEY ----(?:\r?\n)((?:.{0,72}\r?\n)+)---- END SSH2 PUBLIC KEY ----$/, RE_DATA = /^[A-Z0-9a-z/+=\r\n]+$/, RE_HEADER = /^([\x21-\x39\x3B-\x7E]{1,64}): ((?:[^\\]*\\\r?\n)*[^\r\n]+)\r?\n/gm, RE_HEADER_ENDS = /\\\r?\n/g;
      RFC4716_Public.parse = (str) => {
        let m = regexp.exec(str);
        if (m === null)
          return null;
        let body = m[1], dataStart = 0, comment = "";
        for (; m = RE_HEADER.exec(body); ) {
          let headerName = m[1], headerValue = m[2].replace(RE_HEADER_ENDS, "");
          if (headerValue.length > 1024)
            return RE_HEADER.lastIndex = 0, new Error("Malformed RFC4716 public key");
          dataStart = RE_HEADER.lastIndex, headerName.toLowerCase() === "comment" && (comment = headerValue, comment.length > 1 && comment.charCodeAt(0) === 34 && comment.charCodeAt(comment.length - 1) === 34 && (comment = comment.slice(1, -1)));
        }
        let data = body.slice(dataStart);
        if (!RE_DATA.test(data))
          return new Error("Malformed RFC4716 public key");
        data = Buffer.from(data, "base64");
        let type = readString(data, 0, !0);
        if (type === void 0)
          return new Error("Malformed RFC4716 public key");
        let pubPEM = null, pubSSH = null;
        switch (type) {
          case "ssh-rsa": {
            let e = readString(data, data._pos);
            if (e === void 0)
              return new Error("Malformed RFC4716 public key");
            let n = readString(data, data._pos);
            if (n === void 0)
              return new Error("Malformed RFC4716 public key");
            pubPEM = genOpenSSLRSAPub(n, e), pubSSH = genOpenSSHRSAPub(n, e);
            break;
          }
          case "ssh-dss": {
            let p = readString(data, data._pos);
            if (p === void 0)
              return new Error("Malformed RFC4716 public key");
            let q = readString(data, data._pos);
            if (q === void 0)
              return new Error("Malformed RFC4716 public key");
            let g = readString(data, data._pos);
            if (g === void 0)
              return new Error("Malformed RFC4716 public key");
            let y = readString(data, data._pos);
            if (y === void 0)
              return new Error("Malformed RFC4716 public key");
            pubPEM = genOpenSSLDSAPub(p, q, g, y), pubSSH = genOpenSSHDSAPub(p, q, g, y);
            break;
          }
          default:
            return new Error("Malformed RFC4716 public key");
        }
        return new RFC4716_Public(type, comment, pubPEM, pubSSH, "sha1");
      };
    }
    function parseDER(data, baseType, comment, fullType) {
      if (!isSupportedKeyType(baseType))
        return new Error(`Unsupported OpenSSH public key type: ${baseType}`);
      let algo, oid, pubPEM = null, pubSSH = null;
      switch (baseType) {
        case "ssh-rsa": {
          let e = readString(data, data._pos || 0);
          if (e === void 0)
            return new Error("Malformed OpenSSH public key");
          let n = readString(data, data._pos);
          if (n === void 0)
            return new Error("Malformed OpenSSH public key");
          pubPEM = genOpenSSLRSAPub(n, e), pubSSH = genOpenSSHRSAPub(n, e), algo = "sha1";
          break;
        }
        case "ssh-dss": {
          let p = readString(data, data._pos || 0);
          if (p === void 0)
            return new Error("Malformed OpenSSH public key");
          let q = readString(data, data._pos);
          if (q === void 0)
            return new Error("Malformed OpenSSH public key");
          let g = readString(data, data._pos);
          if (g === void 0)
            return new Error("Malformed OpenSSH public key");
          let y = readString(data, data._pos);
          if (y === void 0)
            return new Error("Malformed OpenSSH public key");
          pubPEM = genOpenSSLDSAPub(p, q, g, y), pubSSH = genOpenSSHDSAPub(p, q, g, y), algo = "sha1";
          break;
        }
        case "ssh-ed25519": {
          let edpub = readString(data, data._pos || 0);
          if (edpub === void 0 || edpub.length !== 32)
            return new Error("Malformed OpenSSH public key");
          pubPEM = genOpenSSLEdPub(edpub), pubSSH = genOpenSSHEdPub(edpub), algo = null;
          break;
        }
        case "ecdsa-sha2-nistp256":
          algo = "sha256", oid = "1.2.840.10045.3.1.7";
        // FALLTHROUGH
        case "ecdsa-sha2-nistp384":
          algo === void 0 && (algo = "sha384", oid = "1.3.132.0.34");
        // FALLTHROUGH
        case "ecdsa-sha2-nistp521": {
          if (algo === void 0 && (algo = "sha512", oid = "1.3.132.0.35"), !skipFields(data, 1))
            return new Error("Malformed OpenSSH public key");
          let ecpub = readString(data, data._pos || 0);
          if (ecpub === void 0)
            return new Error("Malformed OpenSSH public key");
          pubPEM = genOpenSSLECDSAPub(oid, ecpub), pubSSH = genOpenSSHECDSAPub(oid, ecpub);
          break;
        }
        default:
          return new Error(`Unsupported OpenSSH public key type: ${baseType}`);
      }
      return new OpenSSH_Public(fullType, comment, pubPEM, pubSSH, algo);
    }
    function isSupportedKeyType(type) {
      switch (type) {
        case "ssh-rsa":
        case "ssh-dss":
        case "ecdsa-sha2-nistp256":
        case "ecdsa-sha2-nistp384":
        case "ecdsa-sha2-nistp521":
          return !0;
        case "ssh-ed25519":
          if (eddsaSupported)
            return !0;
        // FALLTHROUGH
        default:
          return !1;
      }
    }
    function isParsedKey(val) {
      return val ? typeof val[SYM_DECRYPTED] == "boolean" : !1;
    }
    function parseKey(data, passphrase) {
      if (isParsedKey(data))
        return data;
      let origBuffer;
      if (Buffer.isBuffer(data))
        origBuffer = data, data = data.utf8Slice(0, data.length).trim();
      else if (typeof data == "string")
        data = data.trim();
      else
        return new Error("Key data must be a Buffer or string");
      if (passphrase != null) {
        if (typeof passphrase == "string")
          passphrase = Buffer.from(passphrase);
        else if (!Buffer.isBuffer(passphrase))
          return new Error("Passphrase must be a string or Buffer when supplied");
      }
      let ret;
      if ((ret = OpenSSH_Private.parse(data, passphrase)) !== null || (ret = OpenSSH_Old_Private.parse(data, passphrase)) !== null || (ret = PPK_Private.parse(data, passphrase)) !== null || (ret = OpenSSH_Public.parse(data)) !== null || (ret = RFC4716_Public.parse(data)) !== null)
        return ret;
      if (origBuffer) {
        binaryKeyParser.init(origBuffer, 0);
        let type = binaryKeyParser.readString(!0);
        type !== void 0 && (data = binaryKeyParser.readRaw(), data !== void 0 && (ret = parseDER(data, type, "", type), ret instanceof Error && (ret = null))), binaryKeyParser.clear();
      }
      return ret || new Error("Unsupported key format");
    }
    module.exports = {
      isParsedKey,
      isSupportedKeyType,
      parseDERKey: (data, type) => parseDER(data, type, "", type),
      parseKey
    };
  }
});

// node_modules/ssh2/lib/agent.js
var require_agent = __commonJS({
  "node_modules/ssh2/lib/agent.js"(exports, module) {
    "use strict";
    var { Socket } = __require("net"), { Duplex: Duplex2 } = __require("stream"), { resolve } = __require("path"), { readFile } = __require("fs"), { execFile, spawn: spawn2 } = __require("child_process"), { isParsedKey, parseKey } = require_keyParser(), {
      makeBufferParser,
      readUInt32BE,
      writeUInt32BE,
      writeUInt32LE
    } = require_utils();
    function once(cb) {
      let called = !1;
      return (...args) => {
        called || (called = !0, cb(...args));
      };
    }
    function concat(buf1, buf2) {
      let combined = Buffer.allocUnsafe(buf1.length + buf2.length);
      return buf1.copy(combined, 0), buf2.copy(combined, buf1.length), combined;
    }
    function noop() {
    }
    var EMPTY_BUF = Buffer.alloc(0), binaryParser = makeBufferParser(), BaseAgent = class {
      getIdentities(cb) {
        cb(new Error("Missing getIdentities() implementation"));
      }
      sign(pubKey, data, options, cb) {
        typeof options == "function" && (cb = options), cb(new Error("Missing sign() implementation"));
      }
    }, OpenSSHAgent = class extends BaseAgent {
      constructor(socketPath) {
        super(), this.socketPath = socketPath;
      }
      getStream(cb) {
        cb = once(cb);
        let sock = new Socket();
        sock.on("connect", () => {
          cb(null, sock);
        }), sock.on("close", onFail).on("end", onFail).on("error", onFail), sock.connect(this.socketPath);
        function onFail() {
          try {
            sock.destroy();
          } catch {
          }
          cb(new Error("Failed to connect to agent"));
        }
      }
      getIdentities(cb) {
        cb = once(cb), this.getStream((err, stream) => {
          function onFail(err2) {
            if (stream)
              try {
                stream.destroy();
              } catch {
              }
            err2 || (err2 = new Error("Failed to retrieve identities from agent")), cb(err2);
          }
          if (err)
            return onFail(err);
          let protocol = new AgentProtocol(!0);
          protocol.on("error", onFail), protocol.pipe(stream).pipe(protocol), stream.on("close", onFail).on("end", onFail).on("error", onFail), protocol.getIdentities((err2, keys) => {
            if (err2)
              return onFail(err2);
            try {
              stream.destroy();
            } catch {
            }
            cb(null, keys);
          });
        });
      }
      sign(pubKey, data, options, cb) {
        typeof options == "function" ? (cb = options, options = void 0) : (typeof options != "object" || options === null) && (options = void 0), cb = once(cb), this.getStream((err, stream) => {
          function onFail(err2) {
            if (stream)
              try {
                stream.destroy();
              } catch {
              }
            err2 || (err2 = new Error("Failed to sign data with agent")), cb(err2);
          }
          if (err)
            return onFail(err);
          let protocol = new AgentProtocol(!0);
          protocol.on("error", onFail), protocol.pipe(stream).pipe(protocol), stream.on("close", onFail).on("end", onFail).on("error", onFail), protocol.sign(pubKey, data, options, (err2, sig) => {
            if (err2)
              return onFail(err2);
            try {
              stream.destroy();
            } catch {
            }
            cb(null, sig);
          });
        });
      }
    }, PageantAgent = (() => {
      let EXEPATH = resolve(__dirname, "..", "util/pagent.exe"), ERROR = {
        10: new Error("Invalid pagent.exe arguments"),
        11: new Error("Pageant is not running"),
        12: new Error("pagent.exe could not create an mmap"),
        13: new Error("pagent.exe could not set mode for stdin"),
        14: new Error("pagent.exe could not set mode for stdout"),
        15: new Error("pagent.exe did not get expected input payload")
      };
      function destroy(stream) {
        stream.buffer = null, stream.proc && (stream.proc.kill(), stream.proc = void 0);
      }
      class PageantSocket extends Duplex2 {
        constructor() {
          super(), this.proc = void 0, this.buffer = null;
        }
        _read(n) {
        }
        _write(data, encoding, cb) {
          if (this.buffer === null)
            this.buffer = data;
          else {
            let newBuffer = Buffer.allocUnsafe(this.buffer.length + data.length);
            this.buffer.copy(newBuffer, 0), data.copy(newBuffer, this.buffer.length), this.buffer = newBuffer;
          }
          if (this.buffer.length < 4)
            return cb();
          let len = readUInt32BE(this.buffer, 0);
          if (this.buffer.length - 4 < len)
            return cb();
          if (data = this.buffer.slice(0, 4 + len), this.buffer.length > 4 + len)
            return cb(new Error("Unexpected multiple agent requests"));
          this.buffer = null;
          let error, proc = this.proc = spawn2(EXEPATH, [data.length]);
          proc.stdout.on("data", (data2) => {
            this.push(data2);
          }), proc.on("error", (err) => {
            error = err, cb(error);
          }), proc.on("close", (code) => {
            if (this.proc = void 0, !error) {
              if (error = ERROR[code])
                return cb(error);
              cb();
            }
          }), proc.stdin.end(data);
        }
        _final(cb) {
          destroy(this), cb();
        }
        _destroy(err, cb) {
          destroy(this), cb();
        }
      }
      return class extends OpenSSHAgent {
        getStream(cb) {
          cb(null, new PageantSocket());
        }
      };
    })(), CygwinAgent = /* @__PURE__ */ (() => {
      let RE_CYGWIN_SOCK = /^!<socket >(\d+) s ([A-Z0-9]{8}-[A-Z0-9]{8}-[A-Z0-9]{8}-[A-Z0-9]{8})/;
      return class extends OpenSSHAgent {
        getStream(cb) {
          cb = once(cb);
          let socketPath = this.socketPath, triedCygpath = !1;
          readFile(socketPath, function readCygsocket(err, data) {
            if (err) {
              if (triedCygpath)
                return cb(new Error("Invalid cygwin unix socket path"));
              execFile("cygpath", ["-w", socketPath], (err2, stdout, stderr) => {
                if (err2 || stdout.length === 0)
                  return cb(new Error("Invalid cygwin unix socket path"));
                triedCygpath = !0, socketPath = stdout.toString().replace(/[\r\n]/g, ""), readFile(socketPath, readCygsocket);
              });
              return;
            }
            let m = RE_CYGWIN_SOCK.exec(data.toString("ascii"));
            if (!m)
              return cb(new Error("Malformed cygwin unix socket file"));
            let state, bc = 0, isRetrying = !1, inBuf = [], sock, credsBuf = Buffer.alloc(12), port = parseInt(m[1], 10), secret = m[2].replace(/-/g, ""), secretBuf = Buffer.allocUnsafe(16);
            for (let i = 0, j = 0; j < 32; ++i, j += 2)
              secretBuf[i] = parseInt(secret.substring(j, j + 2), 16);
            for (let i = 0; i < 16; i += 4)
              writeUInt32LE(secretBuf, readUInt32BE(secretBuf, i), i);
            tryConnect();
            function _onconnect() {
              bc = 0, state = "secret", sock.write(secretBuf);
            }
            function _ondata(data2) {
              if (bc += data2.length, state === "secret") {
                bc === 16 && (bc = 0, state = "creds", sock.write(credsBuf));
                return;
              }
              if (state === "creds" && (isRetrying || inBuf.push(data2), bc === 12)) {
                if (sock.removeListener("connect", _onconnect), sock.removeListener("data", _ondata), sock.removeListener("error", onFail), sock.removeListener("end", onFail), sock.removeListener("close", onFail), isRetrying)
                  return cb(null, sock);
                isRetrying = !0, credsBuf = Buffer.concat(inBuf), writeUInt32LE(credsBuf, process.pid, 0), sock.on("error", () => {
                }), sock.destroy(), tryConnect();
              }
            }
            function onFail() {
              cb(new Error("Problem negotiating cygwin unix socket security"));
            }
            function tryConnect() {
              sock = new Socket(), sock.on("connect", _onconnect), sock.on("data", _ondata), sock.on("error", onFail), sock.on("end", onFail), sock.on("close", onFail), sock.connect(port);
            }
          });
        }
      };
    })(), WINDOWS_PIPE_REGEX = /^[/\\][/\\]\.[/\\]pipe[/\\].+/;
    function createAgent(path) {
      return process.platform === "win32" && !WINDOWS_PIPE_REGEX.test(path) ? path === "pageant" ? new PageantAgent() : new CygwinAgent(path) : new OpenSSHAgent(path);
    }
    var AgentProtocol = /* @__PURE__ */ (() => {
      function processResponses(protocol) {
        let ret;
        for (; protocol[SYM_REQS].length; ) {
          let nextResponse = protocol[SYM_REQS][0][SYM_RESP];
          if (nextResponse === void 0)
            break;
          protocol[SYM_REQS].shift(), ret = protocol.push(nextResponse);
        }
        return ret;
      }
      let SYM_TYPE = /* @__PURE__ */ Symbol("Inbound Request Type"), SYM_RESP = /* @__PURE__ */ Symbol("Inbound Request Response"), SYM_CTX = /* @__PURE__ */ Symbol("Inbound Request Context");
      class AgentInboundRequest {
        constructor(type, ctx) {
          this[SYM_TYPE] = type, this[SYM_RESP] = void 0, this[SYM_CTX] = ctx;
        }
        hasResponded() {
          return this[SYM_RESP] !== void 0;
        }
        getType() {
          return this[SYM_TYPE];
        }
        getContext() {
          return this[SYM_CTX];
        }
      }
      function respond(protocol, req, data) {
        return req[SYM_RESP] = data, processResponses(protocol);
      }
      function cleanup(protocol) {
        if (protocol[SYM_BUFFER] = null, protocol[SYM_MODE] === 0) {
          let reqs = protocol[SYM_REQS];
          if (reqs && reqs.length) {
            protocol[SYM_REQS] = [];
            for (let req of reqs)
              req.cb(new Error("No reply from server"));
          }
        }
        try {
          protocol.end();
        } catch {
        }
        setImmediate(() => {
          protocol[SYM_ENDED] || protocol.emit("end"), protocol[SYM_CLOSED] || protocol.emit("close");
        });
      }
      function onClose() {
        this[SYM_CLOSED] = !0;
      }
      function onEnd() {
        this[SYM_ENDED] = !0;
      }
      let SYM_REQS = /* @__PURE__ */ Symbol("Requests"), SYM_MODE = /* @__PURE__ */ Symbol("Agent Protocol Role"), SYM_BUFFER = /* @__PURE__ */ Symbol("Agent Protocol Buffer"), SYM_MSGLEN = /* @__PURE__ */ Symbol("Agent Protocol Current Message Length"), SYM_CLOSED = /* @__PURE__ */ Symbol("Agent Protocol Closed"), SYM_ENDED = /* @__PURE__ */ Symbol("Agent Protocol Ended");
      return class extends Duplex2 {
        /*
            Notes:
              - `constraint` type consists of:
                   byte                    constraint_type
                   byte[]                  constraint_data
                where `constraint_type` is one of:
                  * SSH_AGENT_CONSTRAIN_LIFETIME
                    - `constraint_data` consists of:
                         uint32                  seconds
                  * SSH_AGENT_CONSTRAIN_CONFIRM
                    - `constraint_data` N/A
                  * SSH_AGENT_CONSTRAIN_EXTENSION
                    - `constraint_data` consists of:
                         string                  extension name
                         byte[]                  extension-specific details
        */
        constructor(isClient) {
          super({ autoDestroy: !0, emitClose: !1 }), this[SYM_MODE] = isClient ? 0 : 1, this[SYM_REQS] = [], this[SYM_BUFFER] = null, this[SYM_MSGLEN] = -1, this.once("end", onEnd), this.once("close", onClose);
        }
        _read(n) {
        }
        _write(data, encoding, cb) {
          this[SYM_BUFFER] === null ? this[SYM_BUFFER] = data : this[SYM_BUFFER] = concat(this[SYM_BUFFER], data);
          let buffer = this[SYM_BUFFER], bufferLen = buffer.length, p = 0;
          for (; p < bufferLen && !(bufferLen < 5 || (this[SYM_MSGLEN] === -1 && (this[SYM_MSGLEN] = readUInt32BE(buffer, p)), bufferLen < 4 + this[SYM_MSGLEN])); ) {
            let msgType = buffer[p += 4];
            if (++p, this[SYM_MODE] === 0) {
              if (this[SYM_REQS].length === 0)
                return cb(new Error("Received unexpected message from server"));
              let req = this[SYM_REQS].shift();
              switch (msgType) {
                case 5:
                  req.cb(new Error("Agent responded with failure"));
                  break;
                case 12: {
                  if (req.type !== 11)
                    return cb(new Error("Agent responded with wrong message type"));
                  binaryParser.init(buffer, p);
                  let numKeys = binaryParser.readUInt32BE();
                  if (numKeys === void 0)
                    return binaryParser.clear(), cb(new Error("Malformed agent response"));
                  let keys = [];
                  for (let i = 0; i < numKeys; ++i) {
                    let pubKey = binaryParser.readString();
                    if (pubKey === void 0)
                      return binaryParser.clear(), cb(new Error("Malformed agent response"));
                    let comment = binaryParser.readString(!0);
                    if (comment === void 0)
                      return binaryParser.clear(), cb(new Error("Malformed agent response"));
                    pubKey = parseKey(pubKey), !(pubKey instanceof Error) && (pubKey.comment = pubKey.comment || comment, keys.push(pubKey));
                  }
                  p = binaryParser.pos(), binaryParser.clear(), req.cb(null, keys);
                  break;
                }
                case 14: {
                  if (req.type !== 13)
                    return cb(new Error("Agent responded with wrong message type"));
                  binaryParser.init(buffer, p);
                  let signature = binaryParser.readString();
                  if (p = binaryParser.pos(), binaryParser.clear(), signature === void 0)
                    return cb(new Error("Malformed agent response"));
                  if (binaryParser.init(signature, 0), binaryParser.readString(!0), signature = binaryParser.readString(), binaryParser.clear(), signature === void 0)
                    return cb(new Error("Malformed OpenSSH signature format"));
                  req.cb(null, signature);
                  break;
                }
                default:
                  return cb(
                    new Error("Agent responded with unsupported message type")
                  );
              }
            } else
              switch (msgType) {
                case 11: {
                  let req = new AgentInboundRequest(msgType);
                  this[SYM_REQS].push(req), this.emit("identities", req);
                  break;
                }
                case 13: {
                  binaryParser.init(buffer, p);
                  let pubKey = binaryParser.readString(), data2 = binaryParser.readString(), flagsVal = binaryParser.readUInt32BE();
                  if (p = binaryParser.pos(), binaryParser.clear(), flagsVal === void 0) {
                    let req2 = new AgentInboundRequest(msgType);
                    return this[SYM_REQS].push(req2), this.failureReply(req2);
                  }
                  if (pubKey = parseKey(pubKey), pubKey instanceof Error) {
                    let req2 = new AgentInboundRequest(msgType);
                    return this[SYM_REQS].push(req2), this.failureReply(req2);
                  }
                  let flags = {
                    hash: void 0
                  }, ctx;
                  pubKey.type === "ssh-rsa" && (flagsVal & 2 ? (ctx = "rsa-sha2-256", flags.hash = "sha256") : flagsVal & 4 && (ctx = "rsa-sha2-512", flags.hash = "sha512")), ctx === void 0 && (ctx = pubKey.type);
                  let req = new AgentInboundRequest(msgType, ctx);
                  this[SYM_REQS].push(req), this.emit("sign", req, pubKey, data2, flags);
                  break;
                }
                default: {
                  let req = new AgentInboundRequest(msgType);
                  this[SYM_REQS].push(req), this.failureReply(req);
                }
              }
            if (this[SYM_MSGLEN] = -1, p === bufferLen) {
              this[SYM_BUFFER] = null;
              break;
            } else
              this[SYM_BUFFER] = buffer = buffer.slice(p), bufferLen = buffer.length, p = 0;
          }
          cb();
        }
        _destroy(err, cb) {
          cleanup(this), cb();
        }
        _final(cb) {
          cleanup(this), cb();
        }
        // Client->Server messages =================================================
        sign(pubKey, data, options, cb) {
          if (this[SYM_MODE] !== 0)
            throw new Error("Client-only method called with server role");
          typeof options == "function" ? (cb = options, options = void 0) : (typeof options != "object" || options === null) && (options = void 0);
          let flags = 0;
          if (pubKey = parseKey(pubKey), pubKey instanceof Error)
            throw new Error("Invalid public key argument");
          if (pubKey.type === "ssh-rsa" && options)
            switch (options.hash) {
              case "sha256":
                flags = 2;
                break;
              case "sha512":
                flags = 4;
                break;
            }
          pubKey = pubKey.getPublicSSH();
          let type = 13, keyLen = pubKey.length, dataLen = data.length, p = 0, buf = Buffer.allocUnsafe(9 + keyLen + 4 + dataLen + 4);
          return writeUInt32BE(buf, buf.length - 4, p), buf[p += 4] = type, writeUInt32BE(buf, keyLen, ++p), pubKey.copy(buf, p += 4), writeUInt32BE(buf, dataLen, p += keyLen), data.copy(buf, p += 4), writeUInt32BE(buf, flags, p += dataLen), typeof cb != "function" && (cb = noop), this[SYM_REQS].push({ type, cb }), this.push(buf);
        }
        getIdentities(cb) {
          if (this[SYM_MODE] !== 0)
            throw new Error("Client-only method called with server role");
          let type = 11, p = 0, buf = Buffer.allocUnsafe(5);
          return writeUInt32BE(buf, buf.length - 4, p), buf[p += 4] = type, typeof cb != "function" && (cb = noop), this[SYM_REQS].push({ type, cb }), this.push(buf);
        }
        // Server->Client messages =================================================
        failureReply(req) {
          if (this[SYM_MODE] !== 1)
            throw new Error("Server-only method called with client role");
          if (!(req instanceof AgentInboundRequest))
            throw new Error("Wrong request argument");
          if (req.hasResponded())
            return !0;
          let p = 0, buf = Buffer.allocUnsafe(5);
          return writeUInt32BE(buf, buf.length - 4, p), buf[p += 4] = 5, respond(this, req, buf);
        }
        getIdentitiesReply(req, keys) {
          if (this[SYM_MODE] !== 1)
            throw new Error("Server-only method called with client role");
          if (!(req instanceof AgentInboundRequest))
            throw new Error("Wrong request argument");
          if (req.hasResponded())
            return !0;
          if (req.getType() !== 11)
            throw new Error("Invalid response to request");
          if (!Array.isArray(keys))
            throw new Error("Keys argument must be an array");
          let totalKeysLen = 4, newKeys = [];
          for (let i = 0; i < keys.length; ++i) {
            let entry = keys[i];
            if (typeof entry != "object" || entry === null)
              throw new Error(`Invalid key entry: ${entry}`);
            let pubKey, comment;
            if (isParsedKey(entry))
              pubKey = entry;
            else if (isParsedKey(entry.pubKey))
              pubKey = entry.pubKey;
            else if (typeof entry.pubKey != "object" || entry.pubKey === null || ({ pubKey, comment } = entry.pubKey, pubKey = parseKey(pubKey), pubKey instanceof Error))
              continue;
            comment = pubKey.comment || comment, pubKey = pubKey.getPublicSSH(), totalKeysLen += 4 + pubKey.length, comment && typeof comment == "string" ? comment = Buffer.from(comment) : Buffer.isBuffer(comment) || (comment = EMPTY_BUF), totalKeysLen += 4 + comment.length, newKeys.push({ pubKey, comment });
          }
          let p = 0, buf = Buffer.allocUnsafe(5 + totalKeysLen);
          writeUInt32BE(buf, buf.length - 4, p), buf[p += 4] = 12, writeUInt32BE(buf, newKeys.length, ++p), p += 4;
          for (let i = 0; i < newKeys.length; ++i) {
            let { pubKey, comment } = newKeys[i];
            writeUInt32BE(buf, pubKey.length, p), pubKey.copy(buf, p += 4), writeUInt32BE(buf, comment.length, p += pubKey.length), p += 4, comment.length && (comment.copy(buf, p), p += comment.length);
          }
          return respond(this, req, buf);
        }
        signReply(req, signature) {
          if (this[SYM_MODE] !== 1)
            throw new Error("Server-only method called with client role");
          if (!(req instanceof AgentInboundRequest))
            throw new Error("Wrong request argument");
          if (req.hasResponded())
            return !0;
          if (req.getType() !== 13)
            throw new Error("Invalid response to request");
          if (!Buffer.isBuffer(signature))
            throw new Error("Signature argument must be a Buffer");
          if (signature.length === 0)
            throw new Error("Signature argument must be non-empty");
          let p = 0, sigFormat = req.getContext(), sigFormatLen = Buffer.byteLength(sigFormat), buf = Buffer.allocUnsafe(
            13 + sigFormatLen + 4 + signature.length
          );
          return writeUInt32BE(buf, buf.length - 4, p), buf[p += 4] = 14, writeUInt32BE(buf, 4 + sigFormatLen + 4 + signature.length, ++p), writeUInt32BE(buf, sigFormatLen, p += 4), buf.utf8Write(sigFormat, p += 4, sigFormatLen), writeUInt32BE(buf, signature.length, p += sigFormatLen), signature.copy(buf, p += 4), respond(this, req, buf);
        }
      };
    })(), SYM_AGENT = /* @__PURE__ */ Symbol("Agent"), SYM_AGENT_KEYS = /* @__PURE__ */ Symbol("Agent Keys"), SYM_AGENT_KEYS_IDX = /* @__PURE__ */ Symbol("Agent Keys Index"), SYM_AGENT_CBS = /* @__PURE__ */ Symbol("Agent Init Callbacks"), AgentContext = class {
      constructor(agent) {
        if (typeof agent == "string")
          agent = createAgent(agent);
        else if (!isAgent(agent))
          throw new Error("Invalid agent argument");
        this[SYM_AGENT] = agent, this[SYM_AGENT_KEYS] = null, this[SYM_AGENT_KEYS_IDX] = -1, this[SYM_AGENT_CBS] = null;
      }
      init(cb) {
        if (typeof cb != "function" && (cb = noop), this[SYM_AGENT_KEYS] === null)
          if (this[SYM_AGENT_CBS] === null) {
            this[SYM_AGENT_CBS] = [cb];
            let doCbs = (...args) => {
              process.nextTick(() => {
                let cbs = this[SYM_AGENT_CBS];
                this[SYM_AGENT_CBS] = null;
                for (let cb2 of cbs)
                  cb2(...args);
              });
            };
            this[SYM_AGENT].getIdentities(once((err, keys) => {
              if (err)
                return doCbs(err);
              if (!Array.isArray(keys))
                return doCbs(new Error(
                  "Agent implementation failed to provide keys"
                ));
              let newKeys = [];
              for (let key of keys)
                key = parseKey(key), !(key instanceof Error) && newKeys.push(key);
              this[SYM_AGENT_KEYS] = newKeys, this[SYM_AGENT_KEYS_IDX] = -1, doCbs();
            }));
          } else
            this[SYM_AGENT_CBS].push(cb);
        else
          process.nextTick(cb);
      }
      nextKey() {
        return this[SYM_AGENT_KEYS] === null || ++this[SYM_AGENT_KEYS_IDX] >= this[SYM_AGENT_KEYS].length ? !1 : this[SYM_AGENT_KEYS][this[SYM_AGENT_KEYS_IDX]];
      }
      currentKey() {
        return this[SYM_AGENT_KEYS] === null || this[SYM_AGENT_KEYS_IDX] >= this[SYM_AGENT_KEYS].length ? null : this[SYM_AGENT_KEYS][this[SYM_AGENT_KEYS_IDX]];
      }
      pos() {
        return this[SYM_AGENT_KEYS] === null || this[SYM_AGENT_KEYS_IDX] >= this[SYM_AGENT_KEYS].length ? -1 : this[SYM_AGENT_KEYS_IDX];
      }
      reset() {
        this[SYM_AGENT_KEYS_IDX] = -1;
      }
      sign(...args) {
        this[SYM_AGENT].sign(...args);
      }
    };
    function isAgent(val) {
      return val instanceof BaseAgent;
    }
    module.exports = {
      AgentContext,
      AgentProtocol,
      BaseAgent,
      createAgent,
      CygwinAgent,
      isAgent,
      OpenSSHAgent,
      PageantAgent
    };
  }
});

// node_modules/ssh2/lib/protocol/zlib.js
var require_zlib = __commonJS({
  "node_modules/ssh2/lib/protocol/zlib.js"(exports, module) {
    "use strict";
    var { kMaxLength } = __require("buffer"), {
      createInflate,
      constants: {
        DEFLATE,
        INFLATE,
        Z_DEFAULT_CHUNK,
        Z_DEFAULT_COMPRESSION,
        Z_DEFAULT_MEMLEVEL,
        Z_DEFAULT_STRATEGY,
        Z_DEFAULT_WINDOWBITS,
        Z_PARTIAL_FLUSH
      }
    } = __require("zlib"), ZlibHandle = createInflate()._handle.constructor;
    function processCallback() {
      throw new Error("Should not get here");
    }
    function zlibOnError(message, errno, code) {
      let self2 = this._owner, error = new Error(message);
      error.errno = errno, error.code = code, self2._err = error;
    }
    function _close(engine) {
      engine._handle && (engine._handle.close(), engine._handle = null);
    }
    var Zlib = class {
      constructor(mode) {
        let windowBits = Z_DEFAULT_WINDOWBITS, level = Z_DEFAULT_COMPRESSION, memLevel = Z_DEFAULT_MEMLEVEL, strategy = Z_DEFAULT_STRATEGY, dictionary = void 0;
        this._err = void 0, this._writeState = new Uint32Array(2), this._chunkSize = Z_DEFAULT_CHUNK, this._maxOutputLength = kMaxLength, this._outBuffer = Buffer.allocUnsafe(this._chunkSize), this._outOffset = 0, this._handle = new ZlibHandle(mode), this._handle._owner = this, this._handle.onerror = zlibOnError, this._handle.init(
          windowBits,
          level,
          memLevel,
          strategy,
          this._writeState,
          processCallback,
          dictionary
        );
      }
      writeSync(chunk, retChunks) {
        let handle = this._handle;
        if (!handle)
          throw new Error("Invalid Zlib instance");
        let availInBefore = chunk.length, availOutBefore = this._chunkSize - this._outOffset, inOff = 0, availOutAfter, availInAfter, buffers, nread = 0, state = this._writeState, buffer = this._outBuffer, offset = this._outOffset, chunkSize = this._chunkSize;
        for (; ; ) {
          if (handle.writeSync(
            Z_PARTIAL_FLUSH,
            chunk,
            // in
            inOff,
            // in_off
            availInBefore,
            // in_len
            buffer,
            // out
            offset,
            // out_off
            availOutBefore
          ), this._err)
            throw this._err;
          availOutAfter = state[0], availInAfter = state[1];
          let inDelta = availInBefore - availInAfter, have = availOutBefore - availOutAfter;
          if (have > 0) {
            let out = offset === 0 && have === buffer.length ? buffer : buffer.slice(offset, offset + have);
            if (offset += have, buffers ? buffers.push === void 0 ? buffers = [buffers, out] : buffers.push(out) : buffers = out, nread += out.byteLength, nread > this._maxOutputLength)
              throw _close(this), new Error(
                `Output length exceeded maximum of ${this._maxOutputLength}`
              );
          } else if (have !== 0)
            throw new Error("have should not go down");
          if ((availOutAfter === 0 || offset >= chunkSize) && (availOutBefore = chunkSize, offset = 0, buffer = Buffer.allocUnsafe(chunkSize)), availOutAfter === 0)
            inOff += inDelta, availInBefore = availInAfter;
          else
            break;
        }
        if (this._outBuffer = buffer, this._outOffset = offset, nread === 0 && (buffers = Buffer.alloc(0)), retChunks)
          return buffers.totalLen = nread, buffers;
        if (buffers.push === void 0)
          return buffers;
        let output = Buffer.allocUnsafe(nread);
        for (let i = 0, p = 0; i < buffers.length; ++i) {
          let buf = buffers[i];
          output.set(buf, p), p += buf.length;
        }
        return output;
      }
    }, ZlibPacketWriter = class {
      constructor(protocol) {
        this.allocStart = 0, this.allocStartKEX = 0, this._protocol = protocol, this._zlib = new Zlib(DEFLATE);
      }
      cleanup() {
        this._zlib && _close(this._zlib);
      }
      alloc(payloadSize, force) {
        return Buffer.allocUnsafe(payloadSize);
      }
      finalize(payload, force) {
        if (this._protocol._kexinit === void 0 || force) {
          let output = this._zlib.writeSync(payload, !0), packet = this._protocol._cipher.allocPacket(output.totalLen);
          if (output.push === void 0)
            packet.set(output, 5);
          else
            for (let i = 0, p = 5; i < output.length; ++i) {
              let chunk = output[i];
              packet.set(chunk, p), p += chunk.length;
            }
          return packet;
        }
        return payload;
      }
    }, PacketWriter = class {
      constructor(protocol) {
        this.allocStart = 5, this.allocStartKEX = 5, this._protocol = protocol;
      }
      cleanup() {
      }
      alloc(payloadSize, force) {
        return this._protocol._kexinit === void 0 || force ? this._protocol._cipher.allocPacket(payloadSize) : Buffer.allocUnsafe(payloadSize);
      }
      finalize(packet, force) {
        return packet;
      }
    }, ZlibPacketReader = class {
      constructor() {
        this._zlib = new Zlib(INFLATE);
      }
      cleanup() {
        this._zlib && _close(this._zlib);
      }
      read(data) {
        return this._zlib.writeSync(data, !1);
      }
    }, PacketReader = class {
      cleanup() {
      }
      read(data) {
        return data;
      }
    };
    module.exports = {
      PacketReader,
      PacketWriter,
      ZlibPacketReader,
      ZlibPacketWriter
    };
  }
});

// node_modules/ssh2/lib/protocol/handlers.misc.js
var require_handlers_misc = __commonJS({
  "node_modules/ssh2/lib/protocol/handlers.misc.js"(exports, module) {
    "use strict";
    var {
      bufferSlice,
      bufferParser,
      doFatalError,
      sigSSHToASN1,
      writeUInt32BE
    } = require_utils(), {
      CHANNEL_OPEN_FAILURE,
      COMPAT,
      MESSAGE,
      TERMINAL_MODE
    } = require_constants(), {
      parseKey
    } = require_keyParser(), TERMINAL_MODE_BY_VALUE = Array.from(Object.entries(TERMINAL_MODE)).reduce((obj, [key, value]) => ({ ...obj, [key]: value }), {});
    module.exports = {
      // Transport layer protocol ==================================================
      [MESSAGE.DISCONNECT]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let reason = bufferParser.readUInt32BE(), desc = bufferParser.readString(!0), lang = bufferParser.readString();
        if (bufferParser.clear(), lang === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed DISCONNECT packet"
          );
        self2._debug && self2._debug(
          `Inbound: Received DISCONNECT (${reason}, "${desc}")`
        );
        let handler = self2._handlers.DISCONNECT;
        handler && handler(self2, reason, desc);
      },
      [MESSAGE.IGNORE]: (self2, payload) => {
        self2._debug && self2._debug("Inbound: Received IGNORE");
      },
      [MESSAGE.UNIMPLEMENTED]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let seqno = bufferParser.readUInt32BE();
        if (bufferParser.clear(), seqno === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed UNIMPLEMENTED packet"
          );
        self2._debug && self2._debug(`Inbound: Received UNIMPLEMENTED (seqno ${seqno})`);
      },
      [MESSAGE.DEBUG]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let display = bufferParser.readBool(), msg = bufferParser.readString(!0), lang = bufferParser.readString();
        if (bufferParser.clear(), lang === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed DEBUG packet"
          );
        self2._debug && self2._debug("Inbound: Received DEBUG");
        let handler = self2._handlers.DEBUG;
        handler && handler(self2, display, msg);
      },
      [MESSAGE.SERVICE_REQUEST]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let name = bufferParser.readString(!0);
        if (bufferParser.clear(), name === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed SERVICE_REQUEST packet"
          );
        self2._debug && self2._debug(`Inbound: Received SERVICE_REQUEST (${name})`);
        let handler = self2._handlers.SERVICE_REQUEST;
        handler && handler(self2, name);
      },
      [MESSAGE.SERVICE_ACCEPT]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let name = bufferParser.readString(!0);
        if (bufferParser.clear(), name === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed SERVICE_ACCEPT packet"
          );
        self2._debug && self2._debug(`Inbound: Received SERVICE_ACCEPT (${name})`);
        let handler = self2._handlers.SERVICE_ACCEPT;
        handler && handler(self2, name);
      },
      [MESSAGE.EXT_INFO]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let numExts = bufferParser.readUInt32BE(), exts;
        if (numExts !== void 0) {
          exts = [];
          for (let i = 0; i < numExts; ++i) {
            let name = bufferParser.readString(!0), data = bufferParser.readString();
            if (data !== void 0)
              if (name === "server-sig-algs") {
                let algs = data.latin1Slice(0, data.length).split(",");
                exts.push({ name, algs });
                continue;
              } else
                continue;
            exts = void 0;
            break;
          }
        }
        if (bufferParser.clear(), exts === void 0)
          return doFatalError(self2, "Inbound: Malformed EXT_INFO packet");
        self2._debug && self2._debug("Inbound: Received EXT_INFO");
        let handler = self2._handlers.EXT_INFO;
        handler && handler(self2, exts);
      },
      // User auth protocol -- generic =============================================
      [MESSAGE.USERAUTH_REQUEST]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let user = bufferParser.readString(!0), service = bufferParser.readString(!0), method = bufferParser.readString(!0), methodData, methodDesc;
        switch (method) {
          case "none":
            methodData = null;
            break;
          case "password": {
            let isChange = bufferParser.readBool();
            if (isChange !== void 0 && (methodData = bufferParser.readString(!0), methodData !== void 0 && isChange)) {
              let newPassword = bufferParser.readString(!0);
              newPassword !== void 0 ? methodData = { oldPassword: methodData, newPassword } : methodData = void 0;
            }
            break;
          }
          case "publickey": {
            let hasSig = bufferParser.readBool();
            if (hasSig !== void 0) {
              let keyAlgo = bufferParser.readString(!0), realKeyAlgo = keyAlgo, key = bufferParser.readString(), hashAlgo;
              switch (keyAlgo) {
                case "rsa-sha2-256":
                  realKeyAlgo = "ssh-rsa", hashAlgo = "sha256";
                  break;
                case "rsa-sha2-512":
                  realKeyAlgo = "ssh-rsa", hashAlgo = "sha512";
                  break;
              }
              if (hasSig) {
                let blobEnd = bufferParser.pos(), signature = bufferParser.readString();
                if (signature !== void 0 && (signature.length > 4 + keyAlgo.length + 4 && signature.utf8Slice(4, 4 + keyAlgo.length) === keyAlgo && (signature = bufferSlice(signature, 4 + keyAlgo.length + 4)), signature = sigSSHToASN1(signature, realKeyAlgo), signature)) {
                  let sessionID = self2._kex.sessionID, blob = Buffer.allocUnsafe(4 + sessionID.length + blobEnd);
                  writeUInt32BE(blob, sessionID.length, 0), blob.set(sessionID, 4), blob.set(
                    new Uint8Array(payload.buffer, payload.byteOffset, blobEnd),
                    4 + sessionID.length
                  ), methodData = {
                    keyAlgo: realKeyAlgo,
                    key,
                    signature,
                    blob,
                    hashAlgo
                  };
                }
              } else
                methodData = { keyAlgo: realKeyAlgo, key, hashAlgo }, methodDesc = "publickey -- check";
            }
            break;
          }
          case "hostbased": {
            let keyAlgo = bufferParser.readString(!0), realKeyAlgo = keyAlgo, key = bufferParser.readString(), localHostname = bufferParser.readString(!0), localUsername = bufferParser.readString(!0), hashAlgo;
            switch (keyAlgo) {
              case "rsa-sha2-256":
                realKeyAlgo = "ssh-rsa", hashAlgo = "sha256";
                break;
              case "rsa-sha2-512":
                realKeyAlgo = "ssh-rsa", hashAlgo = "sha512";
                break;
            }
            let blobEnd = bufferParser.pos(), signature = bufferParser.readString();
            if (signature !== void 0 && (signature.length > 4 + keyAlgo.length + 4 && signature.utf8Slice(4, 4 + keyAlgo.length) === keyAlgo && (signature = bufferSlice(signature, 4 + keyAlgo.length + 4)), signature = sigSSHToASN1(signature, realKeyAlgo), signature !== void 0)) {
              let sessionID = self2._kex.sessionID, blob = Buffer.allocUnsafe(4 + sessionID.length + blobEnd);
              writeUInt32BE(blob, sessionID.length, 0), blob.set(sessionID, 4), blob.set(
                new Uint8Array(payload.buffer, payload.byteOffset, blobEnd),
                4 + sessionID.length
              ), methodData = {
                keyAlgo: realKeyAlgo,
                key,
                signature,
                blob,
                localHostname,
                localUsername,
                hashAlgo
              };
            }
            break;
          }
          case "keyboard-interactive":
            bufferParser.skipString(), methodData = bufferParser.readList();
            break;
          default:
            method !== void 0 && (methodData = bufferParser.readRaw());
        }
        if (bufferParser.clear(), methodData === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed USERAUTH_REQUEST packet"
          );
        methodDesc === void 0 && (methodDesc = method), self2._authsQueue.push(method), self2._debug && self2._debug(`Inbound: Received USERAUTH_REQUEST (${methodDesc})`);
        let handler = self2._handlers.USERAUTH_REQUEST;
        handler && handler(self2, user, service, method, methodData);
      },
      [MESSAGE.USERAUTH_FAILURE]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let authMethods = bufferParser.readList(), partialSuccess = bufferParser.readBool();
        if (bufferParser.clear(), partialSuccess === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed USERAUTH_FAILURE packet"
          );
        self2._debug && self2._debug(`Inbound: Received USERAUTH_FAILURE (${authMethods})`), self2._authsQueue.shift();
        let handler = self2._handlers.USERAUTH_FAILURE;
        handler && handler(self2, authMethods, partialSuccess);
      },
      [MESSAGE.USERAUTH_SUCCESS]: (self2, payload) => {
        self2._debug && self2._debug("Inbound: Received USERAUTH_SUCCESS"), self2._authsQueue.shift();
        let handler = self2._handlers.USERAUTH_SUCCESS;
        handler && handler(self2);
      },
      [MESSAGE.USERAUTH_BANNER]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let msg = bufferParser.readString(!0), lang = bufferParser.readString();
        if (bufferParser.clear(), lang === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed USERAUTH_BANNER packet"
          );
        self2._debug && self2._debug("Inbound: Received USERAUTH_BANNER");
        let handler = self2._handlers.USERAUTH_BANNER;
        handler && handler(self2, msg);
      },
      // User auth protocol -- method-specific =====================================
      60: (self2, payload) => {
        if (!self2._authsQueue.length) {
          self2._debug && self2._debug("Inbound: Received payload type 60 without auth");
          return;
        }
        switch (self2._authsQueue[0]) {
          case "password": {
            bufferParser.init(payload, 1);
            let prompt = bufferParser.readString(!0), lang = bufferParser.readString();
            if (bufferParser.clear(), lang === void 0)
              return doFatalError(
                self2,
                "Inbound: Malformed USERAUTH_PASSWD_CHANGEREQ packet"
              );
            self2._debug && self2._debug("Inbound: Received USERAUTH_PASSWD_CHANGEREQ");
            let handler = self2._handlers.USERAUTH_PASSWD_CHANGEREQ;
            handler && handler(self2, prompt);
            break;
          }
          case "publickey": {
            bufferParser.init(payload, 1);
            let keyAlgo = bufferParser.readString(!0), key = bufferParser.readString();
            if (bufferParser.clear(), key === void 0)
              return doFatalError(
                self2,
                "Inbound: Malformed USERAUTH_PK_OK packet"
              );
            self2._debug && self2._debug("Inbound: Received USERAUTH_PK_OK"), self2._authsQueue.shift();
            let handler = self2._handlers.USERAUTH_PK_OK;
            handler && handler(self2, keyAlgo, key);
            break;
          }
          case "keyboard-interactive": {
            bufferParser.init(payload, 1);
            let name = bufferParser.readString(!0), instructions = bufferParser.readString(!0);
            bufferParser.readString();
            let numPrompts = bufferParser.readUInt32BE(), prompts;
            if (numPrompts !== void 0) {
              prompts = new Array(numPrompts);
              let i;
              for (i = 0; i < numPrompts; ++i) {
                let prompt = bufferParser.readString(!0), echo = bufferParser.readBool();
                if (echo === void 0)
                  break;
                prompts[i] = { prompt, echo };
              }
              i !== numPrompts && (prompts = void 0);
            }
            if (bufferParser.clear(), prompts === void 0)
              return doFatalError(
                self2,
                "Inbound: Malformed USERAUTH_INFO_REQUEST packet"
              );
            self2._debug && self2._debug("Inbound: Received USERAUTH_INFO_REQUEST");
            let handler = self2._handlers.USERAUTH_INFO_REQUEST;
            handler && handler(self2, name, instructions, prompts);
            break;
          }
          default:
            self2._debug && self2._debug("Inbound: Received unexpected payload type 60");
        }
      },
      61: (self2, payload) => {
        if (!self2._authsQueue.length) {
          self2._debug && self2._debug("Inbound: Received payload type 61 without auth");
          return;
        }
        if (self2._authsQueue[0] !== "keyboard-interactive")
          return doFatalError(
            self2,
            "Inbound: Received unexpected payload type 61"
          );
        bufferParser.init(payload, 1);
        let numResponses = bufferParser.readUInt32BE(), responses;
        if (numResponses !== void 0) {
          responses = new Array(numResponses);
          let i;
          for (i = 0; i < numResponses; ++i) {
            let response = bufferParser.readString(!0);
            if (response === void 0)
              break;
            responses[i] = response;
          }
          i !== numResponses && (responses = void 0);
        }
        if (bufferParser.clear(), responses === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed USERAUTH_INFO_RESPONSE packet"
          );
        self2._debug && self2._debug("Inbound: Received USERAUTH_INFO_RESPONSE");
        let handler = self2._handlers.USERAUTH_INFO_RESPONSE;
        handler && handler(self2, responses);
      },
      // Connection protocol -- generic ============================================
      [MESSAGE.GLOBAL_REQUEST]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let name = bufferParser.readString(!0), wantReply = bufferParser.readBool(), data;
        if (wantReply !== void 0)
          switch (name) {
            case "tcpip-forward":
            case "cancel-tcpip-forward": {
              let bindAddr = bufferParser.readString(!0), bindPort = bufferParser.readUInt32BE();
              bindPort !== void 0 && (data = { bindAddr, bindPort });
              break;
            }
            case "streamlocal-forward@openssh.com":
            case "cancel-streamlocal-forward@openssh.com": {
              let socketPath = bufferParser.readString(!0);
              socketPath !== void 0 && (data = { socketPath });
              break;
            }
            case "no-more-sessions@openssh.com":
              data = null;
              break;
            case "hostkeys-00@openssh.com": {
              for (data = []; bufferParser.avail() > 0; ) {
                let keyRaw = bufferParser.readString();
                if (keyRaw === void 0) {
                  data = void 0;
                  break;
                }
                let key = parseKey(keyRaw);
                key instanceof Error || data.push(key);
              }
              break;
            }
            default:
              data = bufferParser.readRaw();
          }
        if (bufferParser.clear(), data === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed GLOBAL_REQUEST packet"
          );
        self2._debug && self2._debug(`Inbound: GLOBAL_REQUEST (${name})`);
        let handler = self2._handlers.GLOBAL_REQUEST;
        handler ? handler(self2, name, wantReply, data) : self2.requestFailure();
      },
      [MESSAGE.REQUEST_SUCCESS]: (self2, payload) => {
        let data = payload.length > 1 ? bufferSlice(payload, 1) : null;
        self2._debug && self2._debug("Inbound: REQUEST_SUCCESS");
        let handler = self2._handlers.REQUEST_SUCCESS;
        handler && handler(self2, data);
      },
      [MESSAGE.REQUEST_FAILURE]: (self2, payload) => {
        self2._debug && self2._debug("Inbound: Received REQUEST_FAILURE");
        let handler = self2._handlers.REQUEST_FAILURE;
        handler && handler(self2);
      },
      // Connection protocol -- channel-related ====================================
      [MESSAGE.CHANNEL_OPEN]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let type = bufferParser.readString(!0), sender = bufferParser.readUInt32BE(), window2 = bufferParser.readUInt32BE(), packetSize = bufferParser.readUInt32BE(), channelInfo;
        switch (type) {
          case "forwarded-tcpip":
          // S->C
          case "direct-tcpip": {
            let destIP = bufferParser.readString(!0), destPort = bufferParser.readUInt32BE(), srcIP = bufferParser.readString(!0), srcPort = bufferParser.readUInt32BE();
            srcPort !== void 0 && (channelInfo = {
              type,
              sender,
              window: window2,
              packetSize,
              data: { destIP, destPort, srcIP, srcPort }
            });
            break;
          }
          case "forwarded-streamlocal@openssh.com":
          // S->C
          case "direct-streamlocal@openssh.com": {
            let socketPath = bufferParser.readString(!0);
            socketPath !== void 0 && (channelInfo = {
              type,
              sender,
              window: window2,
              packetSize,
              data: { socketPath }
            });
            break;
          }
          case "x11": {
            let srcIP = bufferParser.readString(!0), srcPort = bufferParser.readUInt32BE();
            srcPort !== void 0 && (channelInfo = {
              type,
              sender,
              window: window2,
              packetSize,
              data: { srcIP, srcPort }
            });
            break;
          }
          default:
            channelInfo = {
              type,
              sender,
              window: window2,
              packetSize,
              data: {}
            };
        }
        if (bufferParser.clear(), channelInfo === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed CHANNEL_OPEN packet"
          );
        self2._debug && self2._debug(`Inbound: CHANNEL_OPEN (s:${sender}, ${type})`);
        let handler = self2._handlers.CHANNEL_OPEN;
        handler ? handler(self2, channelInfo) : self2.channelOpenFail(
          channelInfo.sender,
          CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED,
          "",
          ""
        );
      },
      [MESSAGE.CHANNEL_OPEN_CONFIRMATION]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let recipient = bufferParser.readUInt32BE(), sender = bufferParser.readUInt32BE(), window2 = bufferParser.readUInt32BE(), packetSize = bufferParser.readUInt32BE(), data = bufferParser.avail() ? bufferParser.readRaw() : void 0;
        if (bufferParser.clear(), packetSize === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed CHANNEL_OPEN_CONFIRMATION packet"
          );
        self2._debug && self2._debug(
          `Inbound: CHANNEL_OPEN_CONFIRMATION (r:${recipient}, s:${sender})`
        );
        let handler = self2._handlers.CHANNEL_OPEN_CONFIRMATION;
        handler && handler(self2, { recipient, sender, window: window2, packetSize, data });
      },
      [MESSAGE.CHANNEL_OPEN_FAILURE]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let recipient = bufferParser.readUInt32BE(), reason = bufferParser.readUInt32BE(), description = bufferParser.readString(!0), lang = bufferParser.readString();
        if (bufferParser.clear(), lang === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed CHANNEL_OPEN_FAILURE packet"
          );
        self2._debug && self2._debug(`Inbound: CHANNEL_OPEN_FAILURE (r:${recipient})`);
        let handler = self2._handlers.CHANNEL_OPEN_FAILURE;
        handler && handler(self2, recipient, reason, description);
      },
      [MESSAGE.CHANNEL_WINDOW_ADJUST]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let recipient = bufferParser.readUInt32BE(), bytesToAdd = bufferParser.readUInt32BE();
        if (bufferParser.clear(), bytesToAdd === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed CHANNEL_WINDOW_ADJUST packet"
          );
        self2._debug && self2._debug(
          `Inbound: CHANNEL_WINDOW_ADJUST (r:${recipient}, ${bytesToAdd})`
        );
        let handler = self2._handlers.CHANNEL_WINDOW_ADJUST;
        handler && handler(self2, recipient, bytesToAdd);
      },
      [MESSAGE.CHANNEL_DATA]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let recipient = bufferParser.readUInt32BE(), data = bufferParser.readString();
        if (bufferParser.clear(), data === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed CHANNEL_DATA packet"
          );
        self2._debug && self2._debug(`Inbound: CHANNEL_DATA (r:${recipient}, ${data.length})`);
        let handler = self2._handlers.CHANNEL_DATA;
        handler && handler(self2, recipient, data);
      },
      [MESSAGE.CHANNEL_EXTENDED_DATA]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let recipient = bufferParser.readUInt32BE(), type = bufferParser.readUInt32BE(), data = bufferParser.readString();
        if (bufferParser.clear(), data === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed CHANNEL_EXTENDED_DATA packet"
          );
        self2._debug && self2._debug(
          `Inbound: CHANNEL_EXTENDED_DATA (r:${recipient}, ${data.length})`
        );
        let handler = self2._handlers.CHANNEL_EXTENDED_DATA;
        handler && handler(self2, recipient, data, type);
      },
      [MESSAGE.CHANNEL_EOF]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let recipient = bufferParser.readUInt32BE();
        if (bufferParser.clear(), recipient === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed CHANNEL_EOF packet"
          );
        self2._debug && self2._debug(`Inbound: CHANNEL_EOF (r:${recipient})`);
        let handler = self2._handlers.CHANNEL_EOF;
        handler && handler(self2, recipient);
      },
      [MESSAGE.CHANNEL_CLOSE]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let recipient = bufferParser.readUInt32BE();
        if (bufferParser.clear(), recipient === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed CHANNEL_CLOSE packet"
          );
        self2._debug && self2._debug(`Inbound: CHANNEL_CLOSE (r:${recipient})`);
        let handler = self2._handlers.CHANNEL_CLOSE;
        handler && handler(self2, recipient);
      },
      [MESSAGE.CHANNEL_REQUEST]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let recipient = bufferParser.readUInt32BE(), type = bufferParser.readString(!0), wantReply = bufferParser.readBool(), data;
        if (wantReply !== void 0)
          switch (type) {
            case "exit-status":
              data = bufferParser.readUInt32BE(), self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type}: ${data})`
              );
              break;
            case "exit-signal": {
              let signal, coreDumped;
              if (self2._compatFlags & COMPAT.OLD_EXIT) {
                let num = bufferParser.readUInt32BE();
                switch (num) {
                  case 1:
                    signal = "HUP";
                    break;
                  case 2:
                    signal = "INT";
                    break;
                  case 3:
                    signal = "QUIT";
                    break;
                  case 6:
                    signal = "ABRT";
                    break;
                  case 9:
                    signal = "KILL";
                    break;
                  case 14:
                    signal = "ALRM";
                    break;
                  case 15:
                    signal = "TERM";
                    break;
                  default:
                    num !== void 0 && (signal = `UNKNOWN (${num})`);
                }
                coreDumped = !1;
              } else
                signal = bufferParser.readString(!0), coreDumped = bufferParser.readBool(), coreDumped === void 0 && (signal = void 0);
              let errorMessage = bufferParser.readString(!0);
              bufferParser.skipString() !== void 0 && (data = { signal, coreDumped, errorMessage }), self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type}: ${signal})`
              );
              break;
            }
            case "pty-req": {
              let term = bufferParser.readString(!0), cols = bufferParser.readUInt32BE(), rows = bufferParser.readUInt32BE(), width = bufferParser.readUInt32BE(), height = bufferParser.readUInt32BE(), modesBinary = bufferParser.readString();
              if (modesBinary !== void 0) {
                bufferParser.init(modesBinary, 1);
                let modes = {};
                for (; bufferParser.avail(); ) {
                  let opcode = bufferParser.readByte();
                  if (opcode === TERMINAL_MODE.TTY_OP_END)
                    break;
                  let name = TERMINAL_MODE_BY_VALUE[opcode], value = bufferParser.readUInt32BE();
                  if (opcode === void 0 || name === void 0 || value === void 0) {
                    modes = void 0;
                    break;
                  }
                  modes[name] = value;
                }
                modes !== void 0 && (data = { term, cols, rows, width, height, modes });
              }
              self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type})`
              );
              break;
            }
            case "window-change": {
              let cols = bufferParser.readUInt32BE(), rows = bufferParser.readUInt32BE(), width = bufferParser.readUInt32BE(), height = bufferParser.readUInt32BE();
              height !== void 0 && (data = { cols, rows, width, height }), self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type})`
              );
              break;
            }
            case "x11-req": {
              let single = bufferParser.readBool(), protocol = bufferParser.readString(!0), cookie = bufferParser.readString(), screen = bufferParser.readUInt32BE();
              screen !== void 0 && (data = { single, protocol, cookie, screen }), self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type})`
              );
              break;
            }
            case "env": {
              let name = bufferParser.readString(!0), value = bufferParser.readString(!0);
              value !== void 0 && (data = { name, value }), self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type}: ${name}=${value})`
              );
              break;
            }
            case "shell":
              data = null, self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type})`
              );
              break;
            case "exec":
              data = bufferParser.readString(!0), self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type}: ${data})`
              );
              break;
            case "subsystem":
              data = bufferParser.readString(!0), self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type}: ${data})`
              );
              break;
            case "signal":
              data = bufferParser.readString(!0), self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type}: ${data})`
              );
              break;
            case "xon-xoff":
              data = bufferParser.readBool(), self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type}: ${data})`
              );
              break;
            case "auth-agent-req@openssh.com":
              data = null, self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type})`
              );
              break;
            default:
              data = bufferParser.avail() ? bufferParser.readRaw() : null, self2._debug && self2._debug(
                `Inbound: CHANNEL_REQUEST (r:${recipient}, ${type})`
              );
          }
        if (bufferParser.clear(), data === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed CHANNEL_REQUEST packet"
          );
        let handler = self2._handlers.CHANNEL_REQUEST;
        handler && handler(self2, recipient, type, wantReply, data);
      },
      [MESSAGE.CHANNEL_SUCCESS]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let recipient = bufferParser.readUInt32BE();
        if (bufferParser.clear(), recipient === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed CHANNEL_SUCCESS packet"
          );
        self2._debug && self2._debug(`Inbound: CHANNEL_SUCCESS (r:${recipient})`);
        let handler = self2._handlers.CHANNEL_SUCCESS;
        handler && handler(self2, recipient);
      },
      [MESSAGE.CHANNEL_FAILURE]: (self2, payload) => {
        bufferParser.init(payload, 1);
        let recipient = bufferParser.readUInt32BE();
        if (bufferParser.clear(), recipient === void 0)
          return doFatalError(
            self2,
            "Inbound: Malformed CHANNEL_FAILURE packet"
          );
        self2._debug && self2._debug(`Inbound: CHANNEL_FAILURE (r:${recipient})`);
        let handler = self2._handlers.CHANNEL_FAILURE;
        handler && handler(self2, recipient);
      }
    };
  }
});

// node_modules/ssh2/lib/protocol/handlers.js
var require_handlers = __commonJS({
  "node_modules/ssh2/lib/protocol/handlers.js"(exports, module) {
    "use strict";
    var MESSAGE_HANDLERS = new Array(256);
    [
      require_kex().HANDLERS,
      require_handlers_misc()
    ].forEach((handlers) => {
      for (let [type, handler] of Object.entries(handlers))
        type = +type, isFinite(type) && type >= 0 && type < MESSAGE_HANDLERS.length && (MESSAGE_HANDLERS[type] = handler);
    });
    module.exports = MESSAGE_HANDLERS;
  }
});

// node_modules/ssh2/lib/protocol/kex.js
var require_kex = __commonJS({
  "node_modules/ssh2/lib/protocol/kex.js"(exports, module) {
    "use strict";
    var {
      createDiffieHellman,
      createDiffieHellmanGroup,
      createECDH,
      createHash: createHash2,
      createPublicKey,
      diffieHellman,
      generateKeyPairSync,
      randomFillSync
    } = __require("crypto"), { Ber } = require_lib(), {
      COMPAT,
      curve25519Supported,
      DEFAULT_KEX,
      DEFAULT_SERVER_HOST_KEY,
      DEFAULT_CIPHER,
      DEFAULT_MAC,
      DEFAULT_COMPRESSION,
      DISCONNECT_REASON,
      MESSAGE
    } = require_constants(), {
      CIPHER_INFO,
      createCipher,
      createDecipher,
      MAC_INFO
    } = require_crypto(), { parseDERKey } = require_keyParser(), {
      bufferFill,
      bufferParser,
      convertSignature,
      doFatalError,
      FastBuffer,
      sigSSHToASN1,
      writeUInt32BE
    } = require_utils(), {
      PacketReader,
      PacketWriter,
      ZlibPacketReader,
      ZlibPacketWriter
    } = require_zlib(), MESSAGE_HANDLERS, GEX_MIN_BITS = 2048, GEX_MAX_BITS = 8192, EMPTY_BUFFER = Buffer.alloc(0);
    function kexinit(self2) {
      let payload;
      if (self2._compatFlags & COMPAT.BAD_DHGEX) {
        let entry = self2._offer.lists.kex, kex = entry.array, found = !1;
        for (let i = 0; i < kex.length; ++i)
          kex[i].includes("group-exchange") && (found || (found = !0, kex = kex.slice()), kex.splice(i--, 1));
        if (found) {
          let len = 17 + self2._offer.totalSize + 1 + 4, newKexBuf = Buffer.from(kex.join(","));
          len -= entry.buffer.length - newKexBuf.length;
          let all = self2._offer.lists.all, rest = new Uint8Array(
            all.buffer,
            all.byteOffset + 4 + entry.buffer.length,
            all.length - (4 + entry.buffer.length)
          );
          payload = Buffer.allocUnsafe(len), writeUInt32BE(payload, newKexBuf.length, 17), payload.set(newKexBuf, 21), payload.set(rest, 21 + newKexBuf.length);
        }
      }
      payload === void 0 && (payload = Buffer.allocUnsafe(17 + self2._offer.totalSize + 1 + 4), self2._offer.copyAllTo(payload, 17)), self2._debug && self2._debug("Outbound: Sending KEXINIT"), payload[0] = MESSAGE.KEXINIT, randomFillSync(payload, 1, 16), bufferFill(payload, 0, payload.length - 5), self2._kexinit = payload, self2._packetRW.write.allocStart = 0;
      {
        let p = self2._packetRW.write.allocStartKEX, packet = self2._packetRW.write.alloc(payload.length, !0);
        packet.set(payload, p), self2._cipher.encrypt(self2._packetRW.write.finalize(packet, !0));
      }
    }
    function handleKexInit(self2, payload) {
      let init = {
        kex: void 0,
        serverHostKey: void 0,
        cs: {
          cipher: void 0,
          mac: void 0,
          compress: void 0,
          lang: void 0
        },
        sc: {
          cipher: void 0,
          mac: void 0,
          compress: void 0,
          lang: void 0
        }
      };
      if (bufferParser.init(payload, 17), (init.kex = bufferParser.readList()) === void 0 || (init.serverHostKey = bufferParser.readList()) === void 0 || (init.cs.cipher = bufferParser.readList()) === void 0 || (init.sc.cipher = bufferParser.readList()) === void 0 || (init.cs.mac = bufferParser.readList()) === void 0 || (init.sc.mac = bufferParser.readList()) === void 0 || (init.cs.compress = bufferParser.readList()) === void 0 || (init.sc.compress = bufferParser.readList()) === void 0 || (init.cs.lang = bufferParser.readList()) === void 0 || (init.sc.lang = bufferParser.readList()) === void 0)
        return bufferParser.clear(), doFatalError(
          self2,
          "Received malformed KEXINIT",
          "handshake",
          DISCONNECT_REASON.KEY_EXCHANGE_FAILED
        );
      let pos = bufferParser.pos(), firstFollows = pos < payload.length && payload[pos] === 1;
      bufferParser.clear();
      let local = self2._offer, remote = init, localKex = local.lists.kex.array;
      if (self2._compatFlags & COMPAT.BAD_DHGEX) {
        let found = !1;
        for (let i2 = 0; i2 < localKex.length; ++i2)
          localKex[i2].indexOf("group-exchange") !== -1 && (found || (found = !0, localKex = localKex.slice()), localKex.splice(i2--, 1));
      }
      let clientList, serverList, i, debug = self2._debug;
      debug && debug("Inbound: Handshake in progress"), debug && debug(`Handshake: (local) KEX method: ${localKex}`), debug && debug(`Handshake: (remote) KEX method: ${remote.kex}`);
      let remoteExtInfoEnabled;
      if (self2._server ? (serverList = localKex, clientList = remote.kex, remoteExtInfoEnabled = clientList.indexOf("ext-info-c") !== -1) : (serverList = remote.kex, clientList = localKex, remoteExtInfoEnabled = serverList.indexOf("ext-info-s") !== -1), self2._strictMode === void 0 && (self2._server ? self2._strictMode = clientList.indexOf("kex-strict-c-v00@openssh.com") !== -1 : self2._strictMode = serverList.indexOf("kex-strict-s-v00@openssh.com") !== -1, self2._strictMode && (debug && debug("Handshake: strict KEX mode enabled"), self2._decipher.inSeqno !== 1)))
        return debug && debug("Handshake: KEXINIT not first packet in strict KEX mode"), doFatalError(
          self2,
          "Handshake failed: KEXINIT not first packet in strict KEX mode",
          "handshake",
          DISCONNECT_REASON.KEY_EXCHANGE_FAILED
        );
      for (i = 0; i < clientList.length && serverList.indexOf(clientList[i]) === -1; ++i) ;
      if (i === clientList.length)
        return debug && debug("Handshake: no matching key exchange algorithm"), doFatalError(
          self2,
          "Handshake failed: no matching key exchange algorithm",
          "handshake",
          DISCONNECT_REASON.KEY_EXCHANGE_FAILED
        );
      init.kex = clientList[i], debug && debug(`Handshake: KEX algorithm: ${clientList[i]}`), firstFollows && (!remote.kex.length || clientList[i] !== remote.kex[0]) && (self2._skipNextInboundPacket = !0);
      let localSrvHostKey = local.lists.serverHostKey.array;
      for (debug && debug(`Handshake: (local) Host key format: ${localSrvHostKey}`), debug && debug(
        `Handshake: (remote) Host key format: ${remote.serverHostKey}`
      ), self2._server ? (serverList = localSrvHostKey, clientList = remote.serverHostKey) : (serverList = remote.serverHostKey, clientList = localSrvHostKey), i = 0; i < clientList.length && serverList.indexOf(clientList[i]) === -1; ++i) ;
      if (i === clientList.length)
        return debug && debug("Handshake: No matching host key format"), doFatalError(
          self2,
          "Handshake failed: no matching host key format",
          "handshake",
          DISCONNECT_REASON.KEY_EXCHANGE_FAILED
        );
      init.serverHostKey = clientList[i], debug && debug(`Handshake: Host key format: ${clientList[i]}`);
      let localCSCipher = local.lists.cs.cipher.array;
      for (debug && debug(`Handshake: (local) C->S cipher: ${localCSCipher}`), debug && debug(`Handshake: (remote) C->S cipher: ${remote.cs.cipher}`), self2._server ? (serverList = localCSCipher, clientList = remote.cs.cipher) : (serverList = remote.cs.cipher, clientList = localCSCipher), i = 0; i < clientList.length && serverList.indexOf(clientList[i]) === -1; ++i) ;
      if (i === clientList.length)
        return debug && debug("Handshake: No matching C->S cipher"), doFatalError(
          self2,
          "Handshake failed: no matching C->S cipher",
          "handshake",
          DISCONNECT_REASON.KEY_EXCHANGE_FAILED
        );
      init.cs.cipher = clientList[i], debug && debug(`Handshake: C->S Cipher: ${clientList[i]}`);
      let localSCCipher = local.lists.sc.cipher.array;
      for (debug && debug(`Handshake: (local) S->C cipher: ${localSCCipher}`), debug && debug(`Handshake: (remote) S->C cipher: ${remote.sc.cipher}`), self2._server ? (serverList = localSCCipher, clientList = remote.sc.cipher) : (serverList = remote.sc.cipher, clientList = localSCCipher), i = 0; i < clientList.length && serverList.indexOf(clientList[i]) === -1; ++i) ;
      if (i === clientList.length)
        return debug && debug("Handshake: No matching S->C cipher"), doFatalError(
          self2,
          "Handshake failed: no matching S->C cipher",
          "handshake",
          DISCONNECT_REASON.KEY_EXCHANGE_FAILED
        );
      init.sc.cipher = clientList[i], debug && debug(`Handshake: S->C cipher: ${clientList[i]}`);
      let localCSMAC = local.lists.cs.mac.array;
      if (debug && debug(`Handshake: (local) C->S MAC: ${localCSMAC}`), debug && debug(`Handshake: (remote) C->S MAC: ${remote.cs.mac}`), CIPHER_INFO[init.cs.cipher].authLen > 0)
        init.cs.mac = "", debug && debug("Handshake: C->S MAC: <implicit>");
      else {
        for (self2._server ? (serverList = localCSMAC, clientList = remote.cs.mac) : (serverList = remote.cs.mac, clientList = localCSMAC), i = 0; i < clientList.length && serverList.indexOf(clientList[i]) === -1; ++i) ;
        if (i === clientList.length)
          return debug && debug("Handshake: No matching C->S MAC"), doFatalError(
            self2,
            "Handshake failed: no matching C->S MAC",
            "handshake",
            DISCONNECT_REASON.KEY_EXCHANGE_FAILED
          );
        init.cs.mac = clientList[i], debug && debug(`Handshake: C->S MAC: ${clientList[i]}`);
      }
      let localSCMAC = local.lists.sc.mac.array;
      if (debug && debug(`Handshake: (local) S->C MAC: ${localSCMAC}`), debug && debug(`Handshake: (remote) S->C MAC: ${remote.sc.mac}`), CIPHER_INFO[init.sc.cipher].authLen > 0)
        init.sc.mac = "", debug && debug("Handshake: S->C MAC: <implicit>");
      else {
        for (self2._server ? (serverList = localSCMAC, clientList = remote.sc.mac) : (serverList = remote.sc.mac, clientList = localSCMAC), i = 0; i < clientList.length && serverList.indexOf(clientList[i]) === -1; ++i) ;
        if (i === clientList.length)
          return debug && debug("Handshake: No matching S->C MAC"), doFatalError(
            self2,
            "Handshake failed: no matching S->C MAC",
            "handshake",
            DISCONNECT_REASON.KEY_EXCHANGE_FAILED
          );
        init.sc.mac = clientList[i], debug && debug(`Handshake: S->C MAC: ${clientList[i]}`);
      }
      let localCSCompress = local.lists.cs.compress.array;
      for (debug && debug(`Handshake: (local) C->S compression: ${localCSCompress}`), debug && debug(`Handshake: (remote) C->S compression: ${remote.cs.compress}`), self2._server ? (serverList = localCSCompress, clientList = remote.cs.compress) : (serverList = remote.cs.compress, clientList = localCSCompress), i = 0; i < clientList.length && serverList.indexOf(clientList[i]) === -1; ++i) ;
      if (i === clientList.length)
        return debug && debug("Handshake: No matching C->S compression"), doFatalError(
          self2,
          "Handshake failed: no matching C->S compression",
          "handshake",
          DISCONNECT_REASON.KEY_EXCHANGE_FAILED
        );
      init.cs.compress = clientList[i], debug && debug(`Handshake: C->S compression: ${clientList[i]}`);
      let localSCCompress = local.lists.sc.compress.array;
      for (debug && debug(`Handshake: (local) S->C compression: ${localSCCompress}`), debug && debug(`Handshake: (remote) S->C compression: ${remote.sc.compress}`), self2._server ? (serverList = localSCCompress, clientList = remote.sc.compress) : (serverList = remote.sc.compress, clientList = localSCCompress), i = 0; i < clientList.length && serverList.indexOf(clientList[i]) === -1; ++i) ;
      if (i === clientList.length)
        return debug && debug("Handshake: No matching S->C compression"), doFatalError(
          self2,
          "Handshake failed: no matching S->C compression",
          "handshake",
          DISCONNECT_REASON.KEY_EXCHANGE_FAILED
        );
      init.sc.compress = clientList[i], debug && debug(`Handshake: S->C compression: ${clientList[i]}`), init.cs.lang = "", init.sc.lang = "", self2._kex && (self2._kexinit || kexinit(self2), self2._decipher._onPayload = onKEXPayload.bind(self2, { firstPacket: !1 })), self2._kex = createKeyExchange(init, self2, payload), self2._kex.remoteExtInfoEnabled = remoteExtInfoEnabled, self2._kex.start();
    }
    var createKeyExchange = /* @__PURE__ */ (() => {
      function convertToMpint(buf) {
        let idx = 0, length = buf.length;
        for (; buf[idx] === 0; )
          ++idx, --length;
        let newBuf;
        return buf[idx] & 128 ? (newBuf = Buffer.allocUnsafe(1 + length), newBuf[0] = 0, buf.copy(newBuf, 1, idx), buf = newBuf) : length !== buf.length && (newBuf = Buffer.allocUnsafe(length), buf.copy(newBuf, 0, idx), buf = newBuf), buf;
      }
      class KeyExchange {
        constructor(negotiated, protocol, remoteKexinit) {
          this._protocol = protocol, this.sessionID = protocol._kex ? protocol._kex.sessionID : void 0, this.negotiated = negotiated, this.remoteExtInfoEnabled = !1, this._step = 1, this._public = null, this._dh = null, this._sentNEWKEYS = !1, this._receivedNEWKEYS = !1, this._finished = !1, this._hostVerified = !1, this._kexinit = protocol._kexinit, this._remoteKexinit = remoteKexinit, this._identRaw = protocol._identRaw, this._remoteIdentRaw = protocol._remoteIdentRaw, this._hostKey = void 0, this._dhData = void 0, this._sig = void 0;
        }
        finish(scOnly) {
          if (this._finished)
            return !1;
          this._finished = !0;
          let isServer = this._protocol._server, negotiated = this.negotiated, pubKey = this.convertPublicKey(this._dhData), secret = this.computeSecret(this._dhData);
          if (secret instanceof Error)
            return secret.message = `Error while computing DH secret (${this.type}): ${secret.message}`, secret.level = "handshake", doFatalError(
              this._protocol,
              secret,
              DISCONNECT_REASON.KEY_EXCHANGE_FAILED
            );
          let hash = createHash2(this.hashName);
          hashString(hash, isServer ? this._remoteIdentRaw : this._identRaw), hashString(hash, isServer ? this._identRaw : this._remoteIdentRaw), hashString(hash, isServer ? this._remoteKexinit : this._kexinit), hashString(hash, isServer ? this._kexinit : this._remoteKexinit);
          let serverPublicHostKey = isServer ? this._hostKey.getPublicSSH() : this._hostKey;
          if (hashString(hash, serverPublicHostKey), this.type === "groupex") {
            let params = this.getDHParams(), num = Buffer.allocUnsafe(4);
            writeUInt32BE(num, this._minBits, 0), hash.update(num), writeUInt32BE(num, this._prefBits, 0), hash.update(num), writeUInt32BE(num, this._maxBits, 0), hash.update(num), hashString(hash, params.prime), hashString(hash, params.generator);
          }
          hashString(hash, isServer ? pubKey : this.getPublicKey());
          let serverPublicKey = isServer ? this.getPublicKey() : pubKey;
          hashString(hash, serverPublicKey), hashString(hash, secret);
          let exchangeHash = hash.digest();
          if (isServer) {
            let hashAlgo;
            switch (this.negotiated.serverHostKey) {
              case "rsa-sha2-256":
                hashAlgo = "sha256";
                break;
              case "rsa-sha2-512":
                hashAlgo = "sha512";
                break;
            }
            this._protocol._debug && this._protocol._debug(
              "Generating signature ..."
            );
            let signature = this._hostKey.sign(exchangeHash, hashAlgo);
            if (signature instanceof Error)
              return doFatalError(
                this._protocol,
                `Handshake failed: signature generation failed for ${this._hostKey.type} host key: ${signature.message}`,
                "handshake",
                DISCONNECT_REASON.KEY_EXCHANGE_FAILED
              );
            if (signature = convertSignature(signature, this._hostKey.type), signature === !1)
              return doFatalError(
                this._protocol,
                `Handshake failed: signature conversion failed for ${this._hostKey.type} host key`,
                "handshake",
                DISCONNECT_REASON.KEY_EXCHANGE_FAILED
              );
            let sigType = this.negotiated.serverHostKey, sigTypeLen = Buffer.byteLength(sigType), sigLen = 4 + sigTypeLen + 4 + signature.length, p = this._protocol._packetRW.write.allocStartKEX, packet = this._protocol._packetRW.write.alloc(
              5 + serverPublicHostKey.length + 4 + serverPublicKey.length + 4 + sigLen,
              !0
            );
            if (packet[p] = MESSAGE.KEXDH_REPLY, writeUInt32BE(packet, serverPublicHostKey.length, ++p), packet.set(serverPublicHostKey, p += 4), writeUInt32BE(
              packet,
              serverPublicKey.length,
              p += serverPublicHostKey.length
            ), packet.set(serverPublicKey, p += 4), writeUInt32BE(packet, sigLen, p += serverPublicKey.length), writeUInt32BE(packet, sigTypeLen, p += 4), packet.utf8Write(sigType, p += 4, sigTypeLen), writeUInt32BE(packet, signature.length, p += sigTypeLen), packet.set(signature, p += 4), this._protocol._debug) {
              let type;
              switch (this.type) {
                case "group":
                  type = "KEXDH_REPLY";
                  break;
                case "groupex":
                  type = "KEXDH_GEX_REPLY";
                  break;
                default:
                  type = "KEXECDH_REPLY";
              }
              this._protocol._debug(`Outbound: Sending ${type}`);
            }
            this._protocol._cipher.encrypt(
              this._protocol._packetRW.write.finalize(packet, !0)
            );
          } else {
            bufferParser.init(this._sig, 0);
            let sigType = bufferParser.readString(!0);
            if (!sigType)
              return doFatalError(
                this._protocol,
                "Malformed packet while reading signature",
                "handshake",
                DISCONNECT_REASON.KEY_EXCHANGE_FAILED
              );
            if (sigType !== negotiated.serverHostKey)
              return doFatalError(
                this._protocol,
                `Wrong signature type: ${sigType}, expected: ${negotiated.serverHostKey}`,
                "handshake",
                DISCONNECT_REASON.KEY_EXCHANGE_FAILED
              );
            let sigValue = bufferParser.readString();
            if (bufferParser.clear(), sigValue === void 0)
              return doFatalError(
                this._protocol,
                "Malformed packet while reading signature",
                "handshake",
                DISCONNECT_REASON.KEY_EXCHANGE_FAILED
              );
            if (!(sigValue = sigSSHToASN1(sigValue, sigType)))
              return doFatalError(
                this._protocol,
                "Malformed signature",
                "handshake",
                DISCONNECT_REASON.KEY_EXCHANGE_FAILED
              );
            let parsedHostKey;
            {
              bufferParser.init(this._hostKey, 0);
              let name = bufferParser.readString(!0), hostKey = this._hostKey.slice(bufferParser.pos());
              if (bufferParser.clear(), parsedHostKey = parseDERKey(hostKey, name), parsedHostKey instanceof Error)
                return parsedHostKey.level = "handshake", doFatalError(
                  this._protocol,
                  parsedHostKey,
                  DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                );
            }
            let hashAlgo;
            switch (this.negotiated.serverHostKey) {
              case "rsa-sha2-256":
                hashAlgo = "sha256";
                break;
              case "rsa-sha2-512":
                hashAlgo = "sha512";
                break;
            }
            this._protocol._debug && this._protocol._debug("Verifying signature ...");
            let verified = parsedHostKey.verify(exchangeHash, sigValue, hashAlgo);
            if (verified !== !0)
              return verified instanceof Error ? this._protocol._debug && this._protocol._debug(
                `Signature verification failed: ${verified.stack}`
              ) : this._protocol._debug && this._protocol._debug(
                "Signature verification failed"
              ), doFatalError(
                this._protocol,
                "Handshake failed: signature verification failed",
                "handshake",
                DISCONNECT_REASON.KEY_EXCHANGE_FAILED
              );
            this._protocol._debug && this._protocol._debug("Verified signature");
          }
          (isServer || !scOnly) && trySendNEWKEYS(this);
          let hsCipherConfig, hsWrite, completeHandshake = (partial) => {
            if (hsCipherConfig)
              return trySendNEWKEYS(this), hsCipherConfig.outbound.seqno = this._protocol._cipher.outSeqno, this._protocol._cipher.free(), this._protocol._cipher = createCipher(hsCipherConfig), this._protocol._packetRW.write = hsWrite, hsCipherConfig = void 0, hsWrite = void 0, this._protocol._onHandshakeComplete(negotiated), !1;
            this.sessionID || (this.sessionID = exchangeHash);
            {
              let newSecret = Buffer.allocUnsafe(4 + secret.length);
              writeUInt32BE(newSecret, secret.length, 0), newSecret.set(secret, 4), secret = newSecret;
            }
            let csCipherInfo = CIPHER_INFO[negotiated.cs.cipher], scCipherInfo = CIPHER_INFO[negotiated.sc.cipher], csIV = generateKEXVal(
              csCipherInfo.ivLen,
              this.hashName,
              secret,
              exchangeHash,
              this.sessionID,
              "A"
            ), scIV = generateKEXVal(
              scCipherInfo.ivLen,
              this.hashName,
              secret,
              exchangeHash,
              this.sessionID,
              "B"
            ), csKey = generateKEXVal(
              csCipherInfo.keyLen,
              this.hashName,
              secret,
              exchangeHash,
              this.sessionID,
              "C"
            ), scKey = generateKEXVal(
              scCipherInfo.keyLen,
              this.hashName,
              secret,
              exchangeHash,
              this.sessionID,
              "D"
            ), csMacInfo, csMacKey;
            csCipherInfo.authLen || (csMacInfo = MAC_INFO[negotiated.cs.mac], csMacKey = generateKEXVal(
              csMacInfo.len,
              this.hashName,
              secret,
              exchangeHash,
              this.sessionID,
              "E"
            ));
            let scMacInfo, scMacKey;
            scCipherInfo.authLen || (scMacInfo = MAC_INFO[negotiated.sc.mac], scMacKey = generateKEXVal(
              scMacInfo.len,
              this.hashName,
              secret,
              exchangeHash,
              this.sessionID,
              "F"
            ));
            let config = {
              inbound: {
                onPayload: this._protocol._onPayload,
                seqno: this._protocol._decipher.inSeqno,
                decipherInfo: isServer ? csCipherInfo : scCipherInfo,
                decipherIV: isServer ? csIV : scIV,
                decipherKey: isServer ? csKey : scKey,
                macInfo: isServer ? csMacInfo : scMacInfo,
                macKey: isServer ? csMacKey : scMacKey
              },
              outbound: {
                onWrite: this._protocol._onWrite,
                seqno: this._protocol._cipher.outSeqno,
                cipherInfo: isServer ? scCipherInfo : csCipherInfo,
                cipherIV: isServer ? scIV : csIV,
                cipherKey: isServer ? scKey : csKey,
                macInfo: isServer ? scMacInfo : csMacInfo,
                macKey: isServer ? scMacKey : csMacKey
              }
            };
            this._protocol._decipher.free(), hsCipherConfig = config, this._protocol._decipher = createDecipher(config);
            let rw = {
              read: void 0,
              write: void 0
            };
            switch (negotiated.cs.compress) {
              case "zlib":
                isServer ? rw.read = new ZlibPacketReader() : rw.write = new ZlibPacketWriter(this._protocol);
                break;
              case "zlib@openssh.com":
                if (this._protocol._authenticated) {
                  isServer ? rw.read = new ZlibPacketReader() : rw.write = new ZlibPacketWriter(this._protocol);
                  break;
                }
              // FALLTHROUGH
              default:
                isServer ? rw.read = new PacketReader() : rw.write = new PacketWriter(this._protocol);
            }
            switch (negotiated.sc.compress) {
              case "zlib":
                isServer ? rw.write = new ZlibPacketWriter(this._protocol) : rw.read = new ZlibPacketReader();
                break;
              case "zlib@openssh.com":
                if (this._protocol._authenticated) {
                  isServer ? rw.write = new ZlibPacketWriter(this._protocol) : rw.read = new ZlibPacketReader();
                  break;
                }
              // FALLTHROUGH
              default:
                isServer ? rw.write = new PacketWriter(this._protocol) : rw.read = new PacketReader();
            }
            return this._protocol._packetRW.read.cleanup(), this._protocol._packetRW.write.cleanup(), this._protocol._packetRW.read = rw.read, hsWrite = rw.write, this._public = null, this._dh = null, this._kexinit = this._protocol._kexinit = void 0, this._remoteKexinit = void 0, this._identRaw = void 0, this._remoteIdentRaw = void 0, this._hostKey = void 0, this._dhData = void 0, this._sig = void 0, partial ? !1 : completeHandshake();
          };
          if ((isServer || scOnly) && (this.finish = completeHandshake), !isServer)
            return completeHandshake(scOnly);
        }
        start() {
          if (!this._protocol._server) {
            if (this._protocol._debug) {
              let type;
              this.type === "group" ? type = "KEXDH_INIT" : type = "KEXECDH_INIT", this._protocol._debug(`Outbound: Sending ${type}`);
            }
            let pubKey = this.getPublicKey(), p = this._protocol._packetRW.write.allocStartKEX, packet = this._protocol._packetRW.write.alloc(
              5 + pubKey.length,
              !0
            );
            packet[p] = MESSAGE.KEXDH_INIT, writeUInt32BE(packet, pubKey.length, ++p), packet.set(pubKey, p += 4), this._protocol._cipher.encrypt(
              this._protocol._packetRW.write.finalize(packet, !0)
            );
          }
        }
        getPublicKey() {
          this.generateKeys();
          let key = this._public;
          if (key)
            return this.convertPublicKey(key);
        }
        convertPublicKey(key) {
          let newKey, idx = 0, len = key.length;
          for (; key[idx] === 0; )
            ++idx, --len;
          return key[idx] & 128 ? (newKey = Buffer.allocUnsafe(1 + len), newKey[0] = 0, key.copy(newKey, 1, idx), newKey) : (len !== key.length && (newKey = Buffer.allocUnsafe(len), key.copy(newKey, 0, idx), key = newKey), key);
        }
        computeSecret(otherPublicKey) {
          this.generateKeys();
          try {
            return convertToMpint(this._dh.computeSecret(otherPublicKey));
          } catch (ex) {
            return ex;
          }
        }
        parse(payload) {
          let type = payload[0];
          switch (this._step) {
            case 1:
              if (this._protocol._server) {
                if (type !== MESSAGE.KEXDH_INIT)
                  return doFatalError(
                    this._protocol,
                    `Received packet ${type} instead of ${MESSAGE.KEXDH_INIT}`,
                    "handshake",
                    DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                  );
                this._protocol._debug && this._protocol._debug(
                  "Received DH Init"
                ), bufferParser.init(payload, 1);
                let dhData = bufferParser.readString();
                if (bufferParser.clear(), dhData === void 0)
                  return doFatalError(
                    this._protocol,
                    "Received malformed KEX*_INIT",
                    "handshake",
                    DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                  );
                this._dhData = dhData;
                let hostKey = this._protocol._hostKeys[this.negotiated.serverHostKey];
                Array.isArray(hostKey) && (hostKey = hostKey[0]), this._hostKey = hostKey, this.finish();
              } else {
                if (type !== MESSAGE.KEXDH_REPLY)
                  return doFatalError(
                    this._protocol,
                    `Received packet ${type} instead of ${MESSAGE.KEXDH_REPLY}`,
                    "handshake",
                    DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                  );
                this._protocol._debug && this._protocol._debug(
                  "Received DH Reply"
                ), bufferParser.init(payload, 1);
                let hostPubKey, dhData, sig;
                if ((hostPubKey = bufferParser.readString()) === void 0 || (dhData = bufferParser.readString()) === void 0 || (sig = bufferParser.readString()) === void 0)
                  return bufferParser.clear(), doFatalError(
                    this._protocol,
                    "Received malformed KEX*_REPLY",
                    "handshake",
                    DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                  );
                bufferParser.clear(), bufferParser.init(hostPubKey, 0);
                let hostPubKeyType = bufferParser.readString(!0);
                if (bufferParser.clear(), hostPubKeyType === void 0)
                  return doFatalError(
                    this._protocol,
                    "Received malformed host public key",
                    "handshake",
                    DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                  );
                if (hostPubKeyType !== this.negotiated.serverHostKey)
                  switch (this.negotiated.serverHostKey) {
                    case "rsa-sha2-256":
                    case "rsa-sha2-512":
                      if (hostPubKeyType === "ssh-rsa")
                        break;
                    // FALLTHROUGH
                    default:
                      return doFatalError(
                        this._protocol,
                        "Host key does not match negotiated type",
                        "handshake",
                        DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                      );
                  }
                this._hostKey = hostPubKey, this._dhData = dhData, this._sig = sig;
                let checked = !1, ret;
                if (this._protocol._hostVerifier === void 0 ? (ret = !0, this._protocol._debug && this._protocol._debug(
                  "Host accepted by default (no verification)"
                )) : ret = this._protocol._hostVerifier(hostPubKey, (permitted) => {
                  if (!checked) {
                    if (checked = !0, permitted === !1)
                      return this._protocol._debug && this._protocol._debug(
                        "Host denied (verification failed)"
                      ), doFatalError(
                        this._protocol,
                        "Host denied (verification failed)",
                        "handshake",
                        DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                      );
                    this._protocol._debug && this._protocol._debug(
                      "Host accepted (verified)"
                    ), this._hostVerified = !0, this._receivedNEWKEYS ? this.finish() : trySendNEWKEYS(this);
                  }
                }), ret === void 0) {
                  ++this._step;
                  return;
                }
                if (checked = !0, ret === !1)
                  return this._protocol._debug && this._protocol._debug(
                    "Host denied (verification failed)"
                  ), doFatalError(
                    this._protocol,
                    "Host denied (verification failed)",
                    "handshake",
                    DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                  );
                this._protocol._debug && this._protocol._debug(
                  "Host accepted (verified)"
                ), this._hostVerified = !0, trySendNEWKEYS(this);
              }
              ++this._step;
              break;
            case 2:
              return type !== MESSAGE.NEWKEYS ? doFatalError(
                this._protocol,
                `Received packet ${type} instead of ${MESSAGE.NEWKEYS}`,
                "handshake",
                DISCONNECT_REASON.KEY_EXCHANGE_FAILED
              ) : (this._protocol._debug && this._protocol._debug(
                "Inbound: NEWKEYS"
              ), this._receivedNEWKEYS = !0, this._protocol._strictMode && (this._protocol._decipher.inSeqno = 0), ++this._step, this.finish(!this._protocol._server && !this._hostVerified));
            default:
              return doFatalError(
                this._protocol,
                `Received unexpected packet ${type} after NEWKEYS`,
                "handshake",
                DISCONNECT_REASON.KEY_EXCHANGE_FAILED
              );
          }
        }
      }
      class Curve25519Exchange extends KeyExchange {
        constructor(hashName, ...args) {
          super(...args), this.type = "25519", this.hashName = hashName, this._keys = null;
        }
        generateKeys() {
          this._keys || (this._keys = generateKeyPairSync("x25519"));
        }
        getPublicKey() {
          return this.generateKeys(), this._keys.publicKey.export({ type: "spki", format: "der" }).slice(-32);
        }
        convertPublicKey(key) {
          let newKey, idx = 0, len = key.length;
          for (; key[idx] === 0; )
            ++idx, --len;
          return key.length === 32 || len !== key.length && (newKey = Buffer.allocUnsafe(len), key.copy(newKey, 0, idx), key = newKey), key;
        }
        computeSecret(otherPublicKey) {
          this.generateKeys();
          try {
            let asnWriter = new Ber.Writer();
            return asnWriter.startSequence(), asnWriter.startSequence(), asnWriter.writeOID("1.3.101.110"), asnWriter.endSequence(), asnWriter.startSequence(Ber.BitString), asnWriter.writeByte(0), asnWriter._ensure(otherPublicKey.length), otherPublicKey.copy(
              asnWriter._buf,
              asnWriter._offset,
              0,
              otherPublicKey.length
            ), asnWriter._offset += otherPublicKey.length, asnWriter.endSequence(), asnWriter.endSequence(), convertToMpint(diffieHellman({
              privateKey: this._keys.privateKey,
              publicKey: createPublicKey({
                key: asnWriter.buffer,
                type: "spki",
                format: "der"
              })
            }));
          } catch (ex) {
            return ex;
          }
        }
      }
      class ECDHExchange extends KeyExchange {
        constructor(curveName, hashName, ...args) {
          super(...args), this.type = "ecdh", this.curveName = curveName, this.hashName = hashName;
        }
        generateKeys() {
          this._dh || (this._dh = createECDH(this.curveName), this._public = this._dh.generateKeys());
        }
      }
      class DHGroupExchange extends KeyExchange {
        constructor(hashName, ...args) {
          super(...args), this.type = "groupex", this.hashName = hashName, this._prime = null, this._generator = null, this._minBits = GEX_MIN_BITS, this._prefBits = dhEstimate(this.negotiated), this._protocol._compatFlags & COMPAT.BUG_DHGEX_LARGE && (this._prefBits = Math.min(this._prefBits, 4096)), this._maxBits = GEX_MAX_BITS;
        }
        start() {
          if (this._protocol._server)
            return;
          this._protocol._debug && this._protocol._debug(
            "Outbound: Sending KEXDH_GEX_REQUEST"
          );
          let p = this._protocol._packetRW.write.allocStartKEX, packet = this._protocol._packetRW.write.alloc(
            13,
            !0
          );
          packet[p] = MESSAGE.KEXDH_GEX_REQUEST, writeUInt32BE(packet, this._minBits, ++p), writeUInt32BE(packet, this._prefBits, p += 4), writeUInt32BE(packet, this._maxBits, p += 4), this._protocol._cipher.encrypt(
            this._protocol._packetRW.write.finalize(packet, !0)
          );
        }
        generateKeys() {
          !this._dh && this._prime && this._generator && (this._dh = createDiffieHellman(this._prime, this._generator), this._public = this._dh.generateKeys());
        }
        setDHParams(prime, generator) {
          if (!Buffer.isBuffer(prime))
            throw new Error("Invalid prime value");
          if (!Buffer.isBuffer(generator))
            throw new Error("Invalid generator value");
          this._prime = prime, this._generator = generator;
        }
        getDHParams() {
          if (this._dh)
            return {
              prime: convertToMpint(this._dh.getPrime()),
              generator: convertToMpint(this._dh.getGenerator())
            };
        }
        parse(payload) {
          let type = payload[0];
          switch (this._step) {
            case 1: {
              if (this._protocol._server)
                return type !== MESSAGE.KEXDH_GEX_REQUEST ? doFatalError(
                  this._protocol,
                  `Received packet ${type} instead of ` + MESSAGE.KEXDH_GEX_REQUEST,
                  "handshake",
                  DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                ) : doFatalError(
                  this._protocol,
                  "Group exchange not implemented for server",
                  "handshake",
                  DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                );
              if (type !== MESSAGE.KEXDH_GEX_GROUP)
                return doFatalError(
                  this._protocol,
                  `Received packet ${type} instead of ${MESSAGE.KEXDH_GEX_GROUP}`,
                  "handshake",
                  DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                );
              this._protocol._debug && this._protocol._debug(
                "Received DH GEX Group"
              ), bufferParser.init(payload, 1);
              let prime, gen;
              if ((prime = bufferParser.readString()) === void 0 || (gen = bufferParser.readString()) === void 0)
                return bufferParser.clear(), doFatalError(
                  this._protocol,
                  "Received malformed KEXDH_GEX_GROUP",
                  "handshake",
                  DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                );
              bufferParser.clear(), this.setDHParams(prime, gen), this.generateKeys();
              let pubkey = this.getPublicKey();
              this._protocol._debug && this._protocol._debug(
                "Outbound: Sending KEXDH_GEX_INIT"
              );
              let p = this._protocol._packetRW.write.allocStartKEX, packet = this._protocol._packetRW.write.alloc(5 + pubkey.length, !0);
              packet[p] = MESSAGE.KEXDH_GEX_INIT, writeUInt32BE(packet, pubkey.length, ++p), packet.set(pubkey, p += 4), this._protocol._cipher.encrypt(
                this._protocol._packetRW.write.finalize(packet, !0)
              ), ++this._step;
              break;
            }
            case 2:
              if (this._protocol._server)
                return type !== MESSAGE.KEXDH_GEX_INIT ? doFatalError(
                  this._protocol,
                  `Received packet ${type} instead of ${MESSAGE.KEXDH_GEX_INIT}`,
                  "handshake",
                  DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                ) : (this._protocol._debug && this._protocol._debug(
                  "Received DH GEX Init"
                ), doFatalError(
                  this._protocol,
                  "Group exchange not implemented for server",
                  "handshake",
                  DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                ));
              if (type !== MESSAGE.KEXDH_GEX_REPLY)
                return doFatalError(
                  this._protocol,
                  `Received packet ${type} instead of ${MESSAGE.KEXDH_GEX_REPLY}`,
                  "handshake",
                  DISCONNECT_REASON.KEY_EXCHANGE_FAILED
                );
              this._protocol._debug && this._protocol._debug(
                "Received DH GEX Reply"
              ), this._step = 1, payload[0] = MESSAGE.KEXDH_REPLY, this.parse = KeyExchange.prototype.parse, this.parse(payload);
          }
        }
      }
      class DHExchange extends KeyExchange {
        constructor(groupName, hashName, ...args) {
          super(...args), this.type = "group", this.groupName = groupName, this.hashName = hashName;
        }
        start() {
          if (!this._protocol._server) {
            this._protocol._debug && this._protocol._debug(
              "Outbound: Sending KEXDH_INIT"
            );
            let pubKey = this.getPublicKey(), p = this._protocol._packetRW.write.allocStartKEX, packet = this._protocol._packetRW.write.alloc(5 + pubKey.length, !0);
            packet[p] = MESSAGE.KEXDH_INIT, writeUInt32BE(packet, pubKey.length, ++p), packet.set(pubKey, p += 4), this._protocol._cipher.encrypt(
              this._protocol._packetRW.write.finalize(packet, !0)
            );
          }
        }
        generateKeys() {
          this._dh || (this._dh = createDiffieHellmanGroup(this.groupName), this._public = this._dh.generateKeys());
        }
        getDHParams() {
          if (this._dh)
            return {
              prime: convertToMpint(this._dh.getPrime()),
              generator: convertToMpint(this._dh.getGenerator())
            };
        }
      }
      return (negotiated, ...args) => {
        if (typeof negotiated != "object" || negotiated === null)
          throw new Error("Invalid negotiated argument");
        let kexType = negotiated.kex;
        if (typeof kexType == "string") {
          switch (args = [negotiated, ...args], kexType) {
            case "curve25519-sha256":
            case "curve25519-sha256@libssh.org":
              if (!curve25519Supported)
                break;
              return new Curve25519Exchange("sha256", ...args);
            case "ecdh-sha2-nistp256":
              return new ECDHExchange("prime256v1", "sha256", ...args);
            case "ecdh-sha2-nistp384":
              return new ECDHExchange("secp384r1", "sha384", ...args);
            case "ecdh-sha2-nistp521":
              return new ECDHExchange("secp521r1", "sha512", ...args);
            case "diffie-hellman-group1-sha1":
              return new DHExchange("modp2", "sha1", ...args);
            case "diffie-hellman-group14-sha1":
              return new DHExchange("modp14", "sha1", ...args);
            case "diffie-hellman-group14-sha256":
              return new DHExchange("modp14", "sha256", ...args);
            case "diffie-hellman-group15-sha512":
              return new DHExchange("modp15", "sha512", ...args);
            case "diffie-hellman-group16-sha512":
              return new DHExchange("modp16", "sha512", ...args);
            case "diffie-hellman-group17-sha512":
              return new DHExchange("modp17", "sha512", ...args);
            case "diffie-hellman-group18-sha512":
              return new DHExchange("modp18", "sha512", ...args);
            case "diffie-hellman-group-exchange-sha1":
              return new DHGroupExchange("sha1", ...args);
            case "diffie-hellman-group-exchange-sha256":
              return new DHGroupExchange("sha256", ...args);
          }
          throw new Error(`Unsupported key exchange algorithm: ${kexType}`);
        }
        throw new Error(`Invalid key exchange type: ${kexType}`);
      };
    })(), KexInit = /* @__PURE__ */ (() => {
      let KEX_PROPERTY_NAMES = [
        "kex",
        "serverHostKey",
        ["cs", "cipher"],
        ["sc", "cipher"],
        ["cs", "mac"],
        ["sc", "mac"],
        ["cs", "compress"],
        ["sc", "compress"],
        ["cs", "lang"],
        ["sc", "lang"]
      ];
      return class {
        constructor(obj) {
          if (typeof obj != "object" || obj === null)
            throw new TypeError("Argument must be an object");
          let lists = {
            kex: void 0,
            serverHostKey: void 0,
            cs: {
              cipher: void 0,
              mac: void 0,
              compress: void 0,
              lang: void 0
            },
            sc: {
              cipher: void 0,
              mac: void 0,
              compress: void 0,
              lang: void 0
            },
            all: void 0
          }, totalSize = 0;
          for (let prop of KEX_PROPERTY_NAMES) {
            let base, val, desc, key;
            if (typeof prop == "string")
              base = lists, val = obj[prop], desc = key = prop;
            else {
              let parent = prop[0];
              base = lists[parent], key = prop[1], val = obj[parent][key], desc = `${parent}.${key}`;
            }
            let entry = { array: void 0, buffer: void 0 };
            if (Buffer.isBuffer(val))
              entry.array = ("" + val).split(","), entry.buffer = val, totalSize += 4 + val.length;
            else {
              if (typeof val == "string" && (val = val.split(",")), Array.isArray(val))
                entry.array = val, entry.buffer = Buffer.from(val.join(","));
              else
                throw new TypeError(`Invalid \`${desc}\` type: ${typeof val}`);
              totalSize += 4 + entry.buffer.length;
            }
            base[key] = entry;
          }
          let all = Buffer.allocUnsafe(totalSize);
          lists.all = all;
          let allPos = 0;
          for (let prop of KEX_PROPERTY_NAMES) {
            let data;
            typeof prop == "string" ? data = lists[prop].buffer : data = lists[prop[0]][prop[1]].buffer, allPos = writeUInt32BE(all, data.length, allPos), all.set(data, allPos), allPos += data.length;
          }
          this.totalSize = totalSize, this.lists = lists;
        }
        copyAllTo(buf, offset) {
          let src = this.lists.all;
          if (typeof offset != "number")
            throw new TypeError(`Invalid offset value: ${typeof offset}`);
          if (buf.length - offset < src.length)
            throw new Error("Insufficient space to copy list");
          return buf.set(src, offset), src.length;
        }
      };
    })(), hashString = (() => {
      let LEN = Buffer.allocUnsafe(4);
      return (hash, buf) => {
        writeUInt32BE(LEN, buf.length, 0), hash.update(LEN), hash.update(buf);
      };
    })();
    function generateKEXVal(len, hashName, secret, exchangeHash, sessionID, char) {
      let ret;
      if (len) {
        let digest = createHash2(hashName).update(secret).update(exchangeHash).update(char).update(sessionID).digest();
        for (; digest.length < len; ) {
          let chunk = createHash2(hashName).update(secret).update(exchangeHash).update(digest).digest(), extended = Buffer.allocUnsafe(digest.length + chunk.length);
          extended.set(digest, 0), extended.set(chunk, digest.length), digest = extended;
        }
        digest.length === len ? ret = digest : ret = new FastBuffer(digest.buffer, digest.byteOffset, len);
      } else
        ret = EMPTY_BUFFER;
      return ret;
    }
    function onKEXPayload(state, payload) {
      if (payload.length === 0) {
        this._debug && this._debug("Inbound: Skipping empty packet payload");
        return;
      }
      if (this._skipNextInboundPacket) {
        this._skipNextInboundPacket = !1;
        return;
      }
      payload = this._packetRW.read.read(payload);
      let type = payload[0];
      if (!this._strictMode)
        switch (type) {
          case MESSAGE.IGNORE:
          case MESSAGE.UNIMPLEMENTED:
          case MESSAGE.DEBUG:
            return MESSAGE_HANDLERS || (MESSAGE_HANDLERS = require_handlers()), MESSAGE_HANDLERS[type](this, payload);
        }
      switch (type) {
        case MESSAGE.DISCONNECT:
          return MESSAGE_HANDLERS || (MESSAGE_HANDLERS = require_handlers()), MESSAGE_HANDLERS[type](this, payload);
        case MESSAGE.KEXINIT:
          return state.firstPacket ? (state.firstPacket = !1, handleKexInit(this, payload)) : doFatalError(
            this,
            "Received extra KEXINIT during handshake",
            "handshake",
            DISCONNECT_REASON.KEY_EXCHANGE_FAILED
          );
        default:
          if (type < 20 || type > 49)
            return doFatalError(
              this,
              `Received unexpected packet type ${type}`,
              "handshake",
              DISCONNECT_REASON.KEY_EXCHANGE_FAILED
            );
      }
      return this._kex.parse(payload);
    }
    function dhEstimate(neg) {
      let csCipher = CIPHER_INFO[neg.cs.cipher], scCipher = CIPHER_INFO[neg.sc.cipher], bits = Math.max(
        0,
        csCipher.sslName === "des-ede3-cbc" ? 14 : csCipher.keyLen,
        csCipher.blockLen,
        csCipher.ivLen,
        scCipher.sslName === "des-ede3-cbc" ? 14 : scCipher.keyLen,
        scCipher.blockLen,
        scCipher.ivLen
      ) * 8;
      return bits <= 112 ? 2048 : bits <= 128 ? 3072 : bits <= 192 ? 7680 : 8192;
    }
    function trySendNEWKEYS(kex) {
      if (!kex._sentNEWKEYS) {
        kex._protocol._debug && kex._protocol._debug(
          "Outbound: Sending NEWKEYS"
        );
        let p = kex._protocol._packetRW.write.allocStartKEX, packet = kex._protocol._packetRW.write.alloc(1, !0);
        packet[p] = MESSAGE.NEWKEYS, kex._protocol._cipher.encrypt(
          kex._protocol._packetRW.write.finalize(packet, !0)
        ), kex._sentNEWKEYS = !0, kex._protocol._strictMode && (kex._protocol._cipher.outSeqno = 0);
      }
    }
    module.exports = {
      KexInit,
      kexinit,
      onKEXPayload,
      DEFAULT_KEXINIT_CLIENT: new KexInit({
        kex: DEFAULT_KEX.concat(["ext-info-c", "kex-strict-c-v00@openssh.com"]),
        serverHostKey: DEFAULT_SERVER_HOST_KEY,
        cs: {
          cipher: DEFAULT_CIPHER,
          mac: DEFAULT_MAC,
          compress: DEFAULT_COMPRESSION,
          lang: []
        },
        sc: {
          cipher: DEFAULT_CIPHER,
          mac: DEFAULT_MAC,
          compress: DEFAULT_COMPRESSION,
          lang: []
        }
      }),
      DEFAULT_KEXINIT_SERVER: new KexInit({
        kex: DEFAULT_KEX.concat(["kex-strict-s-v00@openssh.com"]),
        serverHostKey: DEFAULT_SERVER_HOST_KEY,
        cs: {
          cipher: DEFAULT_CIPHER,
          mac: DEFAULT_MAC,
          compress: DEFAULT_COMPRESSION,
          lang: []
        },
        sc: {
          cipher: DEFAULT_CIPHER,
          mac: DEFAULT_MAC,
          compress: DEFAULT_COMPRESSION,
          lang: []
        }
      }),
      HANDLERS: {
        [MESSAGE.KEXINIT]: handleKexInit
      }
    };
  }
});

// node_modules/ssh2/package.json
var require_package = __commonJS({
  "node_modules/ssh2/package.json"(exports, module) {
    module.exports = {
      name: "ssh2",
      version: "1.17.0",
      author: "Brian White <mscdex@mscdex.net>",
      description: "SSH2 client and server modules written in pure JavaScript for node.js",
      main: "./lib/index.js",
      engines: {
        node: ">=10.16.0"
      },
      dependencies: {
        asn1: "^0.2.6",
        "bcrypt-pbkdf": "^1.0.2"
      },
      devDependencies: {
        "@mscdex/eslint-config": "^1.1.0",
        eslint: "^7.32.0"
      },
      optionalDependencies: {
        "cpu-features": "~0.0.10",
        nan: "^2.23.0"
      },
      scripts: {
        install: "node install.js",
        rebuild: "node install.js",
        test: "node test/test.js",
        lint: "eslint --cache --report-unused-disable-directives --ext=.js .eslintrc.js examples lib test",
        "lint:fix": "npm run lint -- --fix"
      },
      keywords: [
        "ssh",
        "ssh2",
        "sftp",
        "secure",
        "shell",
        "exec",
        "remote",
        "client"
      ],
      licenses: [
        {
          type: "MIT",
          url: "http://github.com/mscdex/ssh2/raw/master/LICENSE"
        }
      ],
      repository: {
        type: "git",
        url: "http://github.com/mscdex/ssh2.git"
      }
    };
  }
});

// node_modules/ssh2/lib/protocol/Protocol.js
var require_Protocol = __commonJS({
  "node_modules/ssh2/lib/protocol/Protocol.js"(exports, module) {
    "use strict";
    var { inspect } = __require("util"), { bindingAvailable, NullCipher, NullDecipher } = require_crypto(), {
      COMPAT_CHECKS,
      DISCONNECT_REASON,
      eddsaSupported,
      MESSAGE,
      SIGNALS,
      TERMINAL_MODE
    } = require_constants(), {
      DEFAULT_KEXINIT_CLIENT,
      DEFAULT_KEXINIT_SERVER,
      KexInit,
      kexinit,
      onKEXPayload
    } = require_kex(), {
      parseKey
    } = require_keyParser(), MESSAGE_HANDLERS = require_handlers(), {
      bufferCopy,
      bufferFill,
      bufferSlice,
      convertSignature,
      sendPacket,
      writeUInt32BE
    } = require_utils(), {
      PacketReader,
      PacketWriter,
      ZlibPacketReader,
      ZlibPacketWriter
    } = require_zlib(), MODULE_VER = require_package().version, VALID_DISCONNECT_REASONS = new Map(
      Object.values(DISCONNECT_REASON).map((n) => [n, 1])
    ), IDENT_RAW = Buffer.from(`SSH-2.0-ssh2js${MODULE_VER}`), IDENT = Buffer.from(`${IDENT_RAW}\r
`), MAX_LINE_LEN = 8192, MAX_LINES = 1024, PING_PAYLOAD = Buffer.from([
      MESSAGE.GLOBAL_REQUEST,
      // "keepalive@openssh.com"
      0,
      0,
      0,
      21,
      107,
      101,
      101,
      112,
      97,
      108,
      105,
      118,
      101,
      64,
      111,
      112,
      101,
      110,
      115,
      115,
      104,
      46,
      99,
      111,
      109,
      // Request a reply
      1
    ]), NO_TERMINAL_MODES_BUFFER = Buffer.from([TERMINAL_MODE.TTY_OP_END]);
    function noop() {
    }
    var Protocol = class {
      constructor(config) {
        let onWrite = config.onWrite;
        if (typeof onWrite != "function")
          throw new Error("Missing onWrite function");
        this._onWrite = (data) => {
          onWrite(data);
        };
        let onError = config.onError;
        if (typeof onError != "function")
          throw new Error("Missing onError function");
        this._onError = (err) => {
          onError(err);
        };
        let debug = config.debug;
        this._debug = typeof debug == "function" ? (msg) => {
          debug(msg);
        } : void 0;
        let onHeader = config.onHeader;
        this._onHeader = typeof onHeader == "function" ? (...args) => {
          onHeader(...args);
        } : noop;
        let onPacket = config.onPacket;
        this._onPacket = typeof onPacket == "function" ? () => {
          onPacket();
        } : noop;
        let onHandshakeComplete = config.onHandshakeComplete;
        typeof onHandshakeComplete != "function" && (onHandshakeComplete = noop);
        let firstHandshake;
        this._onHandshakeComplete = (...args) => {
          this._debug && this._debug("Handshake completed"), firstHandshake === void 0 ? firstHandshake = !0 : firstHandshake = !1;
          let oldQueue = this._queue;
          if (oldQueue) {
            this._queue = void 0, this._debug && this._debug(
              `Draining outbound queue (${oldQueue.length}) ...`
            );
            for (let i = 0; i < oldQueue.length; ++i) {
              let data = oldQueue[i], finalized = this._packetRW.write.finalize(data);
              if (finalized === data) {
                let packet = this._cipher.allocPacket(data.length);
                packet.set(data, 5), finalized = packet;
              }
              sendPacket(this, finalized);
            }
            this._debug && this._debug("... finished draining outbound queue");
          }
          firstHandshake && this._server && this._kex.remoteExtInfoEnabled && sendExtInfo(this), onHandshakeComplete(...args);
        }, this._queue = void 0;
        let messageHandlers = config.messageHandlers;
        typeof messageHandlers == "object" && messageHandlers !== null ? this._handlers = messageHandlers : this._handlers = {}, this._onPayload = onPayload.bind(this), this._server = !!config.server, this._banner = void 0;
        let greeting;
        if (this._server) {
          if (typeof config.hostKeys != "object" || config.hostKeys === null)
            throw new Error("Missing server host key(s)");
          this._hostKeys = config.hostKeys, typeof config.greeting == "string" && config.greeting.length && (greeting = config.greeting.slice(-2) === `\r
` ? config.greeting : `${config.greeting}\r
`), typeof config.banner == "string" && config.banner.length && (this._banner = config.banner.slice(-2) === `\r
` ? config.banner : `${config.banner}\r
`);
        } else
          this._hostKeys = void 0;
        let offer = config.offer;
        typeof offer != "object" || offer === null ? offer = this._server ? DEFAULT_KEXINIT_SERVER : DEFAULT_KEXINIT_CLIENT : offer.constructor !== KexInit && (this._server ? offer.kex = offer.kex.concat(["kex-strict-s-v00@openssh.com"]) : offer.kex = offer.kex.concat([
          "ext-info-c",
          "kex-strict-c-v00@openssh.com"
        ]), offer = new KexInit(offer)), this._kex = void 0, this._strictMode = void 0, this._kexinit = void 0, this._offer = offer, this._cipher = new NullCipher(0, this._onWrite), this._decipher = void 0, this._skipNextInboundPacket = !1, this._packetRW = {
          read: new PacketReader(),
          write: new PacketWriter(this)
        }, this._hostVerifier = !this._server && typeof config.hostVerifier == "function" ? config.hostVerifier : void 0, this._parse = parseHeader, this._buffer = void 0, this._authsQueue = [], this._authenticated = !1, this._remoteIdentRaw = void 0;
        let sentIdent;
        if (typeof config.ident == "string")
          this._identRaw = Buffer.from(`SSH-2.0-${config.ident}`), sentIdent = Buffer.allocUnsafe(this._identRaw.length + 2), sentIdent.set(this._identRaw, 0), sentIdent[sentIdent.length - 2] = 13, sentIdent[sentIdent.length - 1] = 10;
        else if (Buffer.isBuffer(config.ident)) {
          let fullIdent = Buffer.allocUnsafe(8 + config.ident.length);
          fullIdent.latin1Write("SSH-2.0-", 0, 8), fullIdent.set(config.ident, 8), this._identRaw = fullIdent, sentIdent = Buffer.allocUnsafe(fullIdent.length + 2), sentIdent.set(fullIdent, 0), sentIdent[sentIdent.length - 2] = 13, sentIdent[sentIdent.length - 1] = 10;
        } else
          this._identRaw = IDENT_RAW, sentIdent = IDENT;
        this._compatFlags = 0, this._debug && (bindingAvailable ? this._debug("Custom crypto binding available") : this._debug("Custom crypto binding not available")), this._debug && this._debug(
          `Local ident: ${inspect(this._identRaw.toString())}`
        ), this.start = () => {
          this.start = void 0, greeting && this._onWrite(greeting), this._onWrite(sentIdent);
        };
      }
      _destruct(reason) {
        this._packetRW.read.cleanup(), this._packetRW.write.cleanup(), this._cipher && this._cipher.free(), this._decipher && this._decipher.free(), (typeof reason != "string" || reason.length === 0) && (reason = "fatal error"), this.parse = () => {
          throw new Error(`Instance unusable after ${reason}`);
        }, this._onWrite = () => {
          throw new Error(`Instance unusable after ${reason}`);
        }, this._destruct = void 0;
      }
      cleanup() {
        this._destruct && this._destruct();
      }
      parse(chunk, i, len) {
        for (; i < len; )
          i = this._parse(chunk, i, len);
      }
      // Protocol message API
      // ===========================================================================
      // Common/Shared =============================================================
      // ===========================================================================
      // Global
      // ------
      disconnect(reason) {
        let p = this._packetRW.write.allocStartKEX, packet = this._packetRW.write.alloc(13, !0), end = p + 13;
        VALID_DISCONNECT_REASONS.has(reason) || (reason = DISCONNECT_REASON.PROTOCOL_ERROR), packet[p] = MESSAGE.DISCONNECT, writeUInt32BE(packet, reason, ++p), packet.fill(0, p += 4, end), this._debug && this._debug(`Outbound: Sending DISCONNECT (${reason})`), sendPacket(this, this._packetRW.write.finalize(packet, !0), !0);
      }
      ping() {
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(PING_PAYLOAD.length);
        packet.set(PING_PAYLOAD, p), this._debug && this._debug(
          "Outbound: Sending ping (GLOBAL_REQUEST: keepalive@openssh.com)"
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      rekey() {
        this._kexinit === void 0 ? (this._debug && this._debug("Outbound: Initiated explicit rekey"), this._queue = [], kexinit(this)) : this._debug && this._debug("Outbound: Ignoring rekey during handshake");
      }
      // 'ssh-connection' service-specific
      // ---------------------------------
      requestSuccess(data) {
        let p = this._packetRW.write.allocStart, packet;
        Buffer.isBuffer(data) ? (packet = this._packetRW.write.alloc(1 + data.length), packet[p] = MESSAGE.REQUEST_SUCCESS, packet.set(data, ++p)) : (packet = this._packetRW.write.alloc(1), packet[p] = MESSAGE.REQUEST_SUCCESS), this._debug && this._debug("Outbound: Sending REQUEST_SUCCESS"), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      requestFailure() {
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(1);
        packet[p] = MESSAGE.REQUEST_FAILURE, this._debug && this._debug("Outbound: Sending REQUEST_FAILURE"), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      channelSuccess(chan) {
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(5);
        packet[p] = MESSAGE.CHANNEL_SUCCESS, writeUInt32BE(packet, chan, ++p), this._debug && this._debug(`Outbound: Sending CHANNEL_SUCCESS (r:${chan})`), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      channelFailure(chan) {
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(5);
        packet[p] = MESSAGE.CHANNEL_FAILURE, writeUInt32BE(packet, chan, ++p), this._debug && this._debug(`Outbound: Sending CHANNEL_FAILURE (r:${chan})`), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      channelEOF(chan) {
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(5);
        packet[p] = MESSAGE.CHANNEL_EOF, writeUInt32BE(packet, chan, ++p), this._debug && this._debug(`Outbound: Sending CHANNEL_EOF (r:${chan})`), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      channelClose(chan) {
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(5);
        packet[p] = MESSAGE.CHANNEL_CLOSE, writeUInt32BE(packet, chan, ++p), this._debug && this._debug(`Outbound: Sending CHANNEL_CLOSE (r:${chan})`), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      channelWindowAdjust(chan, amount) {
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(9);
        packet[p] = MESSAGE.CHANNEL_WINDOW_ADJUST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, amount, p += 4), this._debug && this._debug(
          `Outbound: Sending CHANNEL_WINDOW_ADJUST (r:${chan}, ${amount})`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      channelData(chan, data) {
        let isBuffer = Buffer.isBuffer(data), dataLen = isBuffer ? data.length : Buffer.byteLength(data), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(9 + dataLen);
        packet[p] = MESSAGE.CHANNEL_DATA, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, dataLen, p += 4), isBuffer ? packet.set(data, p += 4) : packet.utf8Write(data, p += 4, dataLen), this._debug && this._debug(
          `Outbound: Sending CHANNEL_DATA (r:${chan}, ${dataLen})`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      channelExtData(chan, data, type) {
        let isBuffer = Buffer.isBuffer(data), dataLen = isBuffer ? data.length : Buffer.byteLength(data), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(13 + dataLen);
        packet[p] = MESSAGE.CHANNEL_EXTENDED_DATA, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, type, p += 4), writeUInt32BE(packet, dataLen, p += 4), isBuffer ? packet.set(data, p += 4) : packet.utf8Write(data, p += 4, dataLen), this._debug && this._debug(`Outbound: Sending CHANNEL_EXTENDED_DATA (r:${chan})`), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      channelOpenConfirm(remote, local, initWindow, maxPacket) {
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(17);
        packet[p] = MESSAGE.CHANNEL_OPEN_CONFIRMATION, writeUInt32BE(packet, remote, ++p), writeUInt32BE(packet, local, p += 4), writeUInt32BE(packet, initWindow, p += 4), writeUInt32BE(packet, maxPacket, p += 4), this._debug && this._debug(
          `Outbound: Sending CHANNEL_OPEN_CONFIRMATION (r:${remote}, l:${local})`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      channelOpenFail(remote, reason, desc) {
        typeof desc != "string" && (desc = "");
        let descLen = Buffer.byteLength(desc), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(13 + descLen + 4);
        packet[p] = MESSAGE.CHANNEL_OPEN_FAILURE, writeUInt32BE(packet, remote, ++p), writeUInt32BE(packet, reason, p += 4), writeUInt32BE(packet, descLen, p += 4), p += 4, descLen && (packet.utf8Write(desc, p, descLen), p += descLen), writeUInt32BE(packet, 0, p), this._debug && this._debug(`Outbound: Sending CHANNEL_OPEN_FAILURE (r:${remote})`), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      // ===========================================================================
      // Client-specific ===========================================================
      // ===========================================================================
      // Global
      // ------
      service(name) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let nameLen = Buffer.byteLength(name), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(5 + nameLen);
        packet[p] = MESSAGE.SERVICE_REQUEST, writeUInt32BE(packet, nameLen, ++p), packet.utf8Write(name, p += 4, nameLen), this._debug && this._debug(`Outbound: Sending SERVICE_REQUEST (${name})`), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      // 'ssh-userauth' service-specific
      // -------------------------------
      authPassword(username, password, newPassword) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let userLen = Buffer.byteLength(username), passLen = Buffer.byteLength(password), newPassLen = newPassword ? Buffer.byteLength(newPassword) : 0, p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          5 + userLen + 4 + 14 + 4 + 8 + 1 + 4 + passLen + (newPassword ? 4 + newPassLen : 0)
        );
        packet[p] = MESSAGE.USERAUTH_REQUEST, writeUInt32BE(packet, userLen, ++p), packet.utf8Write(username, p += 4, userLen), writeUInt32BE(packet, 14, p += userLen), packet.utf8Write("ssh-connection", p += 4, 14), writeUInt32BE(packet, 8, p += 14), packet.utf8Write("password", p += 4, 8), packet[p += 8] = newPassword ? 1 : 0, writeUInt32BE(packet, passLen, ++p), Buffer.isBuffer(password) ? bufferCopy(password, packet, 0, passLen, p += 4) : packet.utf8Write(password, p += 4, passLen), newPassword ? (writeUInt32BE(packet, newPassLen, p += passLen), Buffer.isBuffer(newPassword) ? bufferCopy(newPassword, packet, 0, newPassLen, p += 4) : packet.utf8Write(newPassword, p += 4, newPassLen), this._debug && this._debug(
          "Outbound: Sending USERAUTH_REQUEST (changed password)"
        )) : this._debug && this._debug(
          "Outbound: Sending USERAUTH_REQUEST (password)"
        ), this._authsQueue.push("password"), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      authPK(username, pubKey, keyAlgo, cbSign) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        if (pubKey = parseKey(pubKey), pubKey instanceof Error)
          throw new Error("Invalid key");
        let keyType = pubKey.type;
        pubKey = pubKey.getPublicSSH(), typeof keyAlgo == "function" && (cbSign = keyAlgo, keyAlgo = void 0), keyAlgo || (keyAlgo = keyType);
        let userLen = Buffer.byteLength(username), algoLen = Buffer.byteLength(keyAlgo), pubKeyLen = pubKey.length, sessionID = this._kex.sessionID, sesLen = sessionID.length, payloadLen = (cbSign ? 4 + sesLen : 0) + 1 + 4 + userLen + 4 + 14 + 4 + 9 + 1 + 4 + algoLen + 4 + pubKeyLen, packet, p;
        if (cbSign ? (packet = Buffer.allocUnsafe(payloadLen), p = 0, writeUInt32BE(packet, sesLen, p), packet.set(sessionID, p += 4), p += sesLen) : (packet = this._packetRW.write.alloc(payloadLen), p = this._packetRW.write.allocStart), packet[p] = MESSAGE.USERAUTH_REQUEST, writeUInt32BE(packet, userLen, ++p), packet.utf8Write(username, p += 4, userLen), writeUInt32BE(packet, 14, p += userLen), packet.utf8Write("ssh-connection", p += 4, 14), writeUInt32BE(packet, 9, p += 14), packet.utf8Write("publickey", p += 4, 9), packet[p += 9] = cbSign ? 1 : 0, writeUInt32BE(packet, algoLen, ++p), packet.utf8Write(keyAlgo, p += 4, algoLen), writeUInt32BE(packet, pubKeyLen, p += algoLen), packet.set(pubKey, p += 4), !cbSign) {
          this._authsQueue.push("publickey"), this._debug && this._debug(
            "Outbound: Sending USERAUTH_REQUEST (publickey -- check)"
          ), sendPacket(this, this._packetRW.write.finalize(packet));
          return;
        }
        cbSign(packet, (signature) => {
          if (signature = convertSignature(signature, keyType), signature === !1)
            throw new Error("Error while converting handshake signature");
          let sigLen = signature.length;
          p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
            5 + userLen + 4 + 14 + 4 + 9 + 1 + 4 + algoLen + 4 + pubKeyLen + 4 + 4 + algoLen + 4 + sigLen
          ), packet[p] = MESSAGE.USERAUTH_REQUEST, writeUInt32BE(packet, userLen, ++p), packet.utf8Write(username, p += 4, userLen), writeUInt32BE(packet, 14, p += userLen), packet.utf8Write("ssh-connection", p += 4, 14), writeUInt32BE(packet, 9, p += 14), packet.utf8Write("publickey", p += 4, 9), packet[p += 9] = 1, writeUInt32BE(packet, algoLen, ++p), packet.utf8Write(keyAlgo, p += 4, algoLen), writeUInt32BE(packet, pubKeyLen, p += algoLen), packet.set(pubKey, p += 4), writeUInt32BE(packet, 4 + algoLen + 4 + sigLen, p += pubKeyLen), writeUInt32BE(packet, algoLen, p += 4), packet.utf8Write(keyAlgo, p += 4, algoLen), writeUInt32BE(packet, sigLen, p += algoLen), packet.set(signature, p += 4), this._authsQueue.push("publickey"), this._debug && this._debug(
            "Outbound: Sending USERAUTH_REQUEST (publickey)"
          ), sendPacket(this, this._packetRW.write.finalize(packet));
        });
      }
      authHostbased(username, pubKey, hostname, userlocal, keyAlgo, cbSign) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        if (pubKey = parseKey(pubKey), pubKey instanceof Error)
          throw new Error("Invalid key");
        let keyType = pubKey.type;
        pubKey = pubKey.getPublicSSH(), typeof keyAlgo == "function" && (cbSign = keyAlgo, keyAlgo = void 0), keyAlgo || (keyAlgo = keyType);
        let userLen = Buffer.byteLength(username), algoLen = Buffer.byteLength(keyAlgo), pubKeyLen = pubKey.length, sessionID = this._kex.sessionID, sesLen = sessionID.length, hostnameLen = Buffer.byteLength(hostname), userlocalLen = Buffer.byteLength(userlocal), data = Buffer.allocUnsafe(
          4 + sesLen + 1 + 4 + userLen + 4 + 14 + 4 + 9 + 4 + algoLen + 4 + pubKeyLen + 4 + hostnameLen + 4 + userlocalLen
        ), p = 0;
        writeUInt32BE(data, sesLen, p), data.set(sessionID, p += 4), data[p += sesLen] = MESSAGE.USERAUTH_REQUEST, writeUInt32BE(data, userLen, ++p), data.utf8Write(username, p += 4, userLen), writeUInt32BE(data, 14, p += userLen), data.utf8Write("ssh-connection", p += 4, 14), writeUInt32BE(data, 9, p += 14), data.utf8Write("hostbased", p += 4, 9), writeUInt32BE(data, algoLen, p += 9), data.utf8Write(keyAlgo, p += 4, algoLen), writeUInt32BE(data, pubKeyLen, p += algoLen), data.set(pubKey, p += 4), writeUInt32BE(data, hostnameLen, p += pubKeyLen), data.utf8Write(hostname, p += 4, hostnameLen), writeUInt32BE(data, userlocalLen, p += hostnameLen), data.utf8Write(userlocal, p += 4, userlocalLen), cbSign(data, (signature) => {
          if (signature = convertSignature(signature, keyType), !signature)
            throw new Error("Error while converting handshake signature");
          let sigLen = signature.length, reqDataLen = data.length - sesLen - 4;
          p = this._packetRW.write.allocStart;
          let packet = this._packetRW.write.alloc(
            reqDataLen + 4 + 4 + algoLen + 4 + sigLen
          );
          bufferCopy(data, packet, 4 + sesLen, data.length, p), writeUInt32BE(packet, 4 + algoLen + 4 + sigLen, p += reqDataLen), writeUInt32BE(packet, algoLen, p += 4), packet.utf8Write(keyAlgo, p += 4, algoLen), writeUInt32BE(packet, sigLen, p += algoLen), packet.set(signature, p += 4), this._authsQueue.push("hostbased"), this._debug && this._debug(
            "Outbound: Sending USERAUTH_REQUEST (hostbased)"
          ), sendPacket(this, this._packetRW.write.finalize(packet));
        });
      }
      authKeyboard(username) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let userLen = Buffer.byteLength(username), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          5 + userLen + 4 + 14 + 4 + 20 + 4 + 4
        );
        packet[p] = MESSAGE.USERAUTH_REQUEST, writeUInt32BE(packet, userLen, ++p), packet.utf8Write(username, p += 4, userLen), writeUInt32BE(packet, 14, p += userLen), packet.utf8Write("ssh-connection", p += 4, 14), writeUInt32BE(packet, 20, p += 14), packet.utf8Write("keyboard-interactive", p += 4, 20), writeUInt32BE(packet, 0, p += 20), writeUInt32BE(packet, 0, p += 4), this._authsQueue.push("keyboard-interactive"), this._debug && this._debug(
          "Outbound: Sending USERAUTH_REQUEST (keyboard-interactive)"
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      authNone(username) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let userLen = Buffer.byteLength(username), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(5 + userLen + 4 + 14 + 4 + 4);
        packet[p] = MESSAGE.USERAUTH_REQUEST, writeUInt32BE(packet, userLen, ++p), packet.utf8Write(username, p += 4, userLen), writeUInt32BE(packet, 14, p += userLen), packet.utf8Write("ssh-connection", p += 4, 14), writeUInt32BE(packet, 4, p += 14), packet.utf8Write("none", p += 4, 4), this._authsQueue.push("none"), this._debug && this._debug("Outbound: Sending USERAUTH_REQUEST (none)"), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      authInfoRes(responses) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let responsesTotalLen = 0, responseLens;
        if (responses) {
          responseLens = new Array(responses.length);
          for (let i = 0; i < responses.length; ++i) {
            let len = Buffer.byteLength(responses[i]);
            responseLens[i] = len, responsesTotalLen += 4 + len;
          }
        }
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(5 + responsesTotalLen);
        if (packet[p] = MESSAGE.USERAUTH_INFO_RESPONSE, responses) {
          writeUInt32BE(packet, responses.length, ++p), p += 4;
          for (let i = 0; i < responses.length; ++i) {
            let len = responseLens[i];
            writeUInt32BE(packet, len, p), p += 4, len && (packet.utf8Write(responses[i], p, len), p += len);
          }
        } else
          writeUInt32BE(packet, 0, ++p);
        this._debug && this._debug("Outbound: Sending USERAUTH_INFO_RESPONSE"), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      // 'ssh-connection' service-specific
      // ---------------------------------
      tcpipForward(bindAddr, bindPort, wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let addrLen = Buffer.byteLength(bindAddr), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(23 + addrLen + 4);
        packet[p] = MESSAGE.GLOBAL_REQUEST, writeUInt32BE(packet, 13, ++p), packet.utf8Write("tcpip-forward", p += 4, 13), packet[p += 13] = wantReply === void 0 || wantReply === !0 ? 1 : 0, writeUInt32BE(packet, addrLen, ++p), packet.utf8Write(bindAddr, p += 4, addrLen), writeUInt32BE(packet, bindPort, p += addrLen), this._debug && this._debug("Outbound: Sending GLOBAL_REQUEST (tcpip-forward)"), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      cancelTcpipForward(bindAddr, bindPort, wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let addrLen = Buffer.byteLength(bindAddr), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(30 + addrLen + 4);
        packet[p] = MESSAGE.GLOBAL_REQUEST, writeUInt32BE(packet, 20, ++p), packet.utf8Write("cancel-tcpip-forward", p += 4, 20), packet[p += 20] = wantReply === void 0 || wantReply === !0 ? 1 : 0, writeUInt32BE(packet, addrLen, ++p), packet.utf8Write(bindAddr, p += 4, addrLen), writeUInt32BE(packet, bindPort, p += addrLen), this._debug && this._debug("Outbound: Sending GLOBAL_REQUEST (cancel-tcpip-forward)"), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      openssh_streamLocalForward(socketPath, wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let socketPathLen = Buffer.byteLength(socketPath), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          41 + socketPathLen
        );
        packet[p] = MESSAGE.GLOBAL_REQUEST, writeUInt32BE(packet, 31, ++p), packet.utf8Write("streamlocal-forward@openssh.com", p += 4, 31), packet[p += 31] = wantReply === void 0 || wantReply === !0 ? 1 : 0, writeUInt32BE(packet, socketPathLen, ++p), packet.utf8Write(socketPath, p += 4, socketPathLen), this._debug && this._debug(
          "Outbound: Sending GLOBAL_REQUEST (streamlocal-forward@openssh.com)"
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      openssh_cancelStreamLocalForward(socketPath, wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let socketPathLen = Buffer.byteLength(socketPath), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          48 + socketPathLen
        );
        packet[p] = MESSAGE.GLOBAL_REQUEST, writeUInt32BE(packet, 38, ++p), packet.utf8Write("cancel-streamlocal-forward@openssh.com", p += 4, 38), packet[p += 38] = wantReply === void 0 || wantReply === !0 ? 1 : 0, writeUInt32BE(packet, socketPathLen, ++p), packet.utf8Write(socketPath, p += 4, socketPathLen), this._debug && this._debug(
          "Outbound: Sending GLOBAL_REQUEST (cancel-streamlocal-forward@openssh.com)"
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      directTcpip(chan, initWindow, maxPacket, cfg) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let srcLen = Buffer.byteLength(cfg.srcIP), dstLen = Buffer.byteLength(cfg.dstIP), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          33 + srcLen + 4 + 4 + dstLen + 4
        );
        packet[p] = MESSAGE.CHANNEL_OPEN, writeUInt32BE(packet, 12, ++p), packet.utf8Write("direct-tcpip", p += 4, 12), writeUInt32BE(packet, chan, p += 12), writeUInt32BE(packet, initWindow, p += 4), writeUInt32BE(packet, maxPacket, p += 4), writeUInt32BE(packet, dstLen, p += 4), packet.utf8Write(cfg.dstIP, p += 4, dstLen), writeUInt32BE(packet, cfg.dstPort, p += dstLen), writeUInt32BE(packet, srcLen, p += 4), packet.utf8Write(cfg.srcIP, p += 4, srcLen), writeUInt32BE(packet, cfg.srcPort, p += srcLen), this._debug && this._debug(
          `Outbound: Sending CHANNEL_OPEN (r:${chan}, direct-tcpip)`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      openssh_directStreamLocal(chan, initWindow, maxPacket, cfg) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let pathLen = Buffer.byteLength(cfg.socketPath), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          51 + pathLen + 4 + 4
        );
        packet[p] = MESSAGE.CHANNEL_OPEN, writeUInt32BE(packet, 30, ++p), packet.utf8Write("direct-streamlocal@openssh.com", p += 4, 30), writeUInt32BE(packet, chan, p += 30), writeUInt32BE(packet, initWindow, p += 4), writeUInt32BE(packet, maxPacket, p += 4), writeUInt32BE(packet, pathLen, p += 4), packet.utf8Write(cfg.socketPath, p += 4, pathLen), bufferFill(packet, 0, p += pathLen, p + 8), this._debug && this._debug(
          `Outbound: Sending CHANNEL_OPEN (r:${chan}, direct-streamlocal@openssh.com)`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      openssh_noMoreSessions(wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(34);
        packet[p] = MESSAGE.GLOBAL_REQUEST, writeUInt32BE(packet, 28, ++p), packet.utf8Write("no-more-sessions@openssh.com", p += 4, 28), packet[p += 28] = wantReply === void 0 || wantReply === !0 ? 1 : 0, this._debug && this._debug(
          "Outbound: Sending GLOBAL_REQUEST (no-more-sessions@openssh.com)"
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      session(chan, initWindow, maxPacket) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(24);
        packet[p] = MESSAGE.CHANNEL_OPEN, writeUInt32BE(packet, 7, ++p), packet.utf8Write("session", p += 4, 7), writeUInt32BE(packet, chan, p += 7), writeUInt32BE(packet, initWindow, p += 4), writeUInt32BE(packet, maxPacket, p += 4), this._debug && this._debug(`Outbound: Sending CHANNEL_OPEN (r:${chan}, session)`), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      windowChange(chan, rows, cols, height, width) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          39
        );
        packet[p] = MESSAGE.CHANNEL_REQUEST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, 13, p += 4), packet.utf8Write("window-change", p += 4, 13), packet[p += 13] = 0, writeUInt32BE(packet, cols, ++p), writeUInt32BE(packet, rows, p += 4), writeUInt32BE(packet, width, p += 4), writeUInt32BE(packet, height, p += 4), this._debug && this._debug(
          `Outbound: Sending CHANNEL_REQUEST (r:${chan}, window-change)`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      pty(chan, rows, cols, height, width, term, modes, wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        (!term || !term.length) && (term = "vt100"), modes && !Buffer.isBuffer(modes) && !Array.isArray(modes) && typeof modes == "object" && modes !== null && (modes = modesToBytes(modes)), (!modes || !modes.length) && (modes = NO_TERMINAL_MODES_BUFFER);
        let termLen = term.length, modesLen = modes.length, p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          21 + termLen + 4 + 4 + 4 + 4 + 4 + modesLen
        );
        if (packet[p] = MESSAGE.CHANNEL_REQUEST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, 7, p += 4), packet.utf8Write("pty-req", p += 4, 7), packet[p += 7] = wantReply === void 0 || wantReply === !0 ? 1 : 0, writeUInt32BE(packet, termLen, ++p), packet.utf8Write(term, p += 4, termLen), writeUInt32BE(packet, cols, p += termLen), writeUInt32BE(packet, rows, p += 4), writeUInt32BE(packet, width, p += 4), writeUInt32BE(packet, height, p += 4), writeUInt32BE(packet, modesLen, p += 4), p += 4, Array.isArray(modes))
          for (let i = 0; i < modesLen; ++i)
            packet[p++] = modes[i];
        else Buffer.isBuffer(modes) && packet.set(modes, p);
        this._debug && this._debug(`Outbound: Sending CHANNEL_REQUEST (r:${chan}, pty-req)`), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      shell(chan, wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(15);
        packet[p] = MESSAGE.CHANNEL_REQUEST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, 5, p += 4), packet.utf8Write("shell", p += 4, 5), packet[p += 5] = wantReply === void 0 || wantReply === !0 ? 1 : 0, this._debug && this._debug(`Outbound: Sending CHANNEL_REQUEST (r:${chan}, shell)`), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      exec(chan, cmd, wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let isBuf = Buffer.isBuffer(cmd), cmdLen = isBuf ? cmd.length : Buffer.byteLength(cmd), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(18 + cmdLen);
        packet[p] = MESSAGE.CHANNEL_REQUEST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, 4, p += 4), packet.utf8Write("exec", p += 4, 4), packet[p += 4] = wantReply === void 0 || wantReply === !0 ? 1 : 0, writeUInt32BE(packet, cmdLen, ++p), isBuf ? packet.set(cmd, p += 4) : packet.utf8Write(cmd, p += 4, cmdLen), this._debug && this._debug(
          `Outbound: Sending CHANNEL_REQUEST (r:${chan}, exec: ${cmd})`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      signal(chan, signal) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let origSignal = signal;
        if (signal = signal.toUpperCase(), signal.slice(0, 3) === "SIG" && (signal = signal.slice(3)), SIGNALS[signal] !== 1)
          throw new Error(`Invalid signal: ${origSignal}`);
        let signalLen = signal.length, p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          20 + signalLen
        );
        packet[p] = MESSAGE.CHANNEL_REQUEST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, 6, p += 4), packet.utf8Write("signal", p += 4, 6), packet[p += 6] = 0, writeUInt32BE(packet, signalLen, ++p), packet.utf8Write(signal, p += 4, signalLen), this._debug && this._debug(
          `Outbound: Sending CHANNEL_REQUEST (r:${chan}, signal: ${signal})`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      env(chan, key, val, wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let keyLen = Buffer.byteLength(key), isBuf = Buffer.isBuffer(val), valLen = isBuf ? val.length : Buffer.byteLength(val), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          17 + keyLen + 4 + valLen
        );
        packet[p] = MESSAGE.CHANNEL_REQUEST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, 3, p += 4), packet.utf8Write("env", p += 4, 3), packet[p += 3] = wantReply === void 0 || wantReply === !0 ? 1 : 0, writeUInt32BE(packet, keyLen, ++p), packet.utf8Write(key, p += 4, keyLen), writeUInt32BE(packet, valLen, p += keyLen), isBuf ? packet.set(val, p += 4) : packet.utf8Write(val, p += 4, valLen), this._debug && this._debug(
          `Outbound: Sending CHANNEL_REQUEST (r:${chan}, env: ${key}=${val})`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      x11Forward(chan, cfg, wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let protocol = cfg.protocol, cookie = cfg.cookie, isBufProto = Buffer.isBuffer(protocol), protoLen = isBufProto ? protocol.length : Buffer.byteLength(protocol), isBufCookie = Buffer.isBuffer(cookie), cookieLen = isBufCookie ? cookie.length : Buffer.byteLength(cookie), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          22 + protoLen + 4 + cookieLen + 4
        );
        packet[p] = MESSAGE.CHANNEL_REQUEST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, 7, p += 4), packet.utf8Write("x11-req", p += 4, 7), packet[p += 7] = wantReply === void 0 || wantReply === !0 ? 1 : 0, packet[++p] = cfg.single ? 1 : 0, writeUInt32BE(packet, protoLen, ++p), isBufProto ? packet.set(protocol, p += 4) : packet.utf8Write(protocol, p += 4, protoLen), writeUInt32BE(packet, cookieLen, p += protoLen), isBufCookie ? packet.set(cookie, p += 4) : packet.latin1Write(cookie, p += 4, cookieLen), writeUInt32BE(packet, cfg.screen || 0, p += cookieLen), this._debug && this._debug(`Outbound: Sending CHANNEL_REQUEST (r:${chan}, x11-req)`), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      subsystem(chan, name, wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let nameLen = Buffer.byteLength(name), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(23 + nameLen);
        packet[p] = MESSAGE.CHANNEL_REQUEST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, 9, p += 4), packet.utf8Write("subsystem", p += 4, 9), packet[p += 9] = wantReply === void 0 || wantReply === !0 ? 1 : 0, writeUInt32BE(packet, nameLen, ++p), packet.utf8Write(name, p += 4, nameLen), this._debug && this._debug(
          `Outbound: Sending CHANNEL_REQUEST (r:${chan}, subsystem: ${name})`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      openssh_agentForward(chan, wantReply) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(36);
        packet[p] = MESSAGE.CHANNEL_REQUEST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, 26, p += 4), packet.utf8Write("auth-agent-req@openssh.com", p += 4, 26), packet[p += 26] = wantReply === void 0 || wantReply === !0 ? 1 : 0, this._debug && this._debug(
          `Outbound: Sending CHANNEL_REQUEST (r:${chan}, auth-agent-req@openssh.com)`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      openssh_hostKeysProve(keys) {
        if (this._server)
          throw new Error("Client-only method called in server mode");
        let keysTotal = 0, publicKeys = [];
        for (let key of keys) {
          let publicKey = key.getPublicSSH();
          keysTotal += 4 + publicKey.length, publicKeys.push(publicKey);
        }
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(35 + keysTotal);
        packet[p] = MESSAGE.GLOBAL_REQUEST, writeUInt32BE(packet, 29, ++p), packet.utf8Write("hostkeys-prove-00@openssh.com", p += 4, 29), packet[p += 29] = 1, ++p;
        for (let buf of publicKeys)
          writeUInt32BE(packet, buf.length, p), bufferCopy(buf, packet, 0, buf.length, p += 4), p += buf.length;
        this._debug && this._debug(
          "Outbound: Sending GLOBAL_REQUEST (hostkeys-prove-00@openssh.com)"
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      // ===========================================================================
      // Server-specific ===========================================================
      // ===========================================================================
      // Global
      // ------
      serviceAccept(svcName) {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        let svcNameLen = Buffer.byteLength(svcName), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(5 + svcNameLen);
        if (packet[p] = MESSAGE.SERVICE_ACCEPT, writeUInt32BE(packet, svcNameLen, ++p), packet.utf8Write(svcName, p += 4, svcNameLen), this._debug && this._debug(`Outbound: Sending SERVICE_ACCEPT (${svcName})`), sendPacket(this, this._packetRW.write.finalize(packet)), this._server && this._banner && svcName === "ssh-userauth") {
          let banner = this._banner;
          this._banner = void 0;
          let bannerLen = Buffer.byteLength(banner);
          p = this._packetRW.write.allocStart;
          let packet2 = this._packetRW.write.alloc(5 + bannerLen + 4);
          packet2[p] = MESSAGE.USERAUTH_BANNER, writeUInt32BE(packet2, bannerLen, ++p), packet2.utf8Write(banner, p += 4, bannerLen), writeUInt32BE(packet2, 0, p += bannerLen), this._debug && this._debug("Outbound: Sending USERAUTH_BANNER"), sendPacket(this, this._packetRW.write.finalize(packet2));
        }
      }
      // 'ssh-connection' service-specific
      forwardedTcpip(chan, initWindow, maxPacket, cfg) {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        let boundAddrLen = Buffer.byteLength(cfg.boundAddr), remoteAddrLen = Buffer.byteLength(cfg.remoteAddr), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          36 + boundAddrLen + 4 + 4 + remoteAddrLen + 4
        );
        packet[p] = MESSAGE.CHANNEL_OPEN, writeUInt32BE(packet, 15, ++p), packet.utf8Write("forwarded-tcpip", p += 4, 15), writeUInt32BE(packet, chan, p += 15), writeUInt32BE(packet, initWindow, p += 4), writeUInt32BE(packet, maxPacket, p += 4), writeUInt32BE(packet, boundAddrLen, p += 4), packet.utf8Write(cfg.boundAddr, p += 4, boundAddrLen), writeUInt32BE(packet, cfg.boundPort, p += boundAddrLen), writeUInt32BE(packet, remoteAddrLen, p += 4), packet.utf8Write(cfg.remoteAddr, p += 4, remoteAddrLen), writeUInt32BE(packet, cfg.remotePort, p += remoteAddrLen), this._debug && this._debug(
          `Outbound: Sending CHANNEL_OPEN (r:${chan}, forwarded-tcpip)`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      x11(chan, initWindow, maxPacket, cfg) {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        let addrLen = Buffer.byteLength(cfg.originAddr), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          24 + addrLen + 4
        );
        packet[p] = MESSAGE.CHANNEL_OPEN, writeUInt32BE(packet, 3, ++p), packet.utf8Write("x11", p += 4, 3), writeUInt32BE(packet, chan, p += 3), writeUInt32BE(packet, initWindow, p += 4), writeUInt32BE(packet, maxPacket, p += 4), writeUInt32BE(packet, addrLen, p += 4), packet.utf8Write(cfg.originAddr, p += 4, addrLen), writeUInt32BE(packet, cfg.originPort, p += addrLen), this._debug && this._debug(
          `Outbound: Sending CHANNEL_OPEN (r:${chan}, x11)`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      openssh_authAgent(chan, initWindow, maxPacket) {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(39);
        packet[p] = MESSAGE.CHANNEL_OPEN, writeUInt32BE(packet, 22, ++p), packet.utf8Write("auth-agent@openssh.com", p += 4, 22), writeUInt32BE(packet, chan, p += 22), writeUInt32BE(packet, initWindow, p += 4), writeUInt32BE(packet, maxPacket, p += 4), this._debug && this._debug(
          `Outbound: Sending CHANNEL_OPEN (r:${chan}, auth-agent@openssh.com)`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      openssh_forwardedStreamLocal(chan, initWindow, maxPacket, cfg) {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        let pathLen = Buffer.byteLength(cfg.socketPath), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          54 + pathLen + 4
        );
        packet[p] = MESSAGE.CHANNEL_OPEN, writeUInt32BE(packet, 33, ++p), packet.utf8Write("forwarded-streamlocal@openssh.com", p += 4, 33), writeUInt32BE(packet, chan, p += 33), writeUInt32BE(packet, initWindow, p += 4), writeUInt32BE(packet, maxPacket, p += 4), writeUInt32BE(packet, pathLen, p += 4), packet.utf8Write(cfg.socketPath, p += 4, pathLen), writeUInt32BE(packet, 0, p += pathLen), this._debug && this._debug(
          `Outbound: Sending CHANNEL_OPEN (r:${chan}, forwarded-streamlocal@openssh.com)`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      exitStatus(chan, status2) {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(25);
        packet[p] = MESSAGE.CHANNEL_REQUEST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, 11, p += 4), packet.utf8Write("exit-status", p += 4, 11), packet[p += 11] = 0, writeUInt32BE(packet, status2, ++p), this._debug && this._debug(
          `Outbound: Sending CHANNEL_REQUEST (r:${chan}, exit-status: ${status2})`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      exitSignal(chan, name, coreDumped, msg) {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        let origSignal = name;
        if (typeof origSignal != "string" || !origSignal)
          throw new Error(`Invalid signal: ${origSignal}`);
        let signal = name.toUpperCase();
        if (signal.slice(0, 3) === "SIG" && (signal = signal.slice(3)), SIGNALS[signal] !== 1)
          throw new Error(`Invalid signal: ${origSignal}`);
        let nameLen = Buffer.byteLength(signal), msgLen = msg ? Buffer.byteLength(msg) : 0, p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          25 + nameLen + 1 + 4 + msgLen + 4
        );
        packet[p] = MESSAGE.CHANNEL_REQUEST, writeUInt32BE(packet, chan, ++p), writeUInt32BE(packet, 11, p += 4), packet.utf8Write("exit-signal", p += 4, 11), packet[p += 11] = 0, writeUInt32BE(packet, nameLen, ++p), packet.utf8Write(signal, p += 4, nameLen), packet[p += nameLen] = coreDumped ? 1 : 0, writeUInt32BE(packet, msgLen, ++p), p += 4, msgLen && (packet.utf8Write(msg, p, msgLen), p += msgLen), writeUInt32BE(packet, 0, p), this._debug && this._debug(
          `Outbound: Sending CHANNEL_REQUEST (r:${chan}, exit-signal: ${name})`
        ), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      // 'ssh-userauth' service-specific
      authFailure(authMethods, isPartial) {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        if (this._authsQueue.length === 0)
          throw new Error("No auth in progress");
        let methods;
        if (typeof authMethods == "boolean" && (isPartial = authMethods, authMethods = void 0), authMethods) {
          methods = [];
          for (let i = 0; i < authMethods.length; ++i)
            authMethods[i].toLowerCase() !== "none" && methods.push(authMethods[i]);
          methods = methods.join(",");
        } else
          methods = "";
        let methodsLen = methods.length, p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(5 + methodsLen + 1);
        packet[p] = MESSAGE.USERAUTH_FAILURE, writeUInt32BE(packet, methodsLen, ++p), packet.utf8Write(methods, p += 4, methodsLen), packet[p += methodsLen] = isPartial === !0 ? 1 : 0, this._authsQueue.shift(), this._debug && this._debug("Outbound: Sending USERAUTH_FAILURE"), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      authSuccess() {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        if (this._authsQueue.length === 0)
          throw new Error("No auth in progress");
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(1);
        packet[p] = MESSAGE.USERAUTH_SUCCESS, this._authsQueue.shift(), this._authenticated = !0, this._debug && this._debug("Outbound: Sending USERAUTH_SUCCESS"), sendPacket(this, this._packetRW.write.finalize(packet)), this._kex.negotiated.cs.compress === "zlib@openssh.com" && (this._packetRW.read = new ZlibPacketReader()), this._kex.negotiated.sc.compress === "zlib@openssh.com" && (this._packetRW.write = new ZlibPacketWriter(this));
      }
      authPKOK(keyAlgo, key) {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        if (this._authsQueue.length === 0 || this._authsQueue[0] !== "publickey")
          throw new Error('"publickey" auth not in progress');
        let keyAlgoLen = Buffer.byteLength(keyAlgo), keyLen = key.length, p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(5 + keyAlgoLen + 4 + keyLen);
        packet[p] = MESSAGE.USERAUTH_PK_OK, writeUInt32BE(packet, keyAlgoLen, ++p), packet.utf8Write(keyAlgo, p += 4, keyAlgoLen), writeUInt32BE(packet, keyLen, p += keyAlgoLen), packet.set(key, p += 4), this._authsQueue.shift(), this._debug && this._debug("Outbound: Sending USERAUTH_PK_OK"), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      authPasswdChg(prompt) {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        let promptLen = Buffer.byteLength(prompt), p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(5 + promptLen + 4);
        packet[p] = MESSAGE.USERAUTH_PASSWD_CHANGEREQ, writeUInt32BE(packet, promptLen, ++p), packet.utf8Write(prompt, p += 4, promptLen), writeUInt32BE(packet, 0, p += promptLen), this._debug && this._debug("Outbound: Sending USERAUTH_PASSWD_CHANGEREQ"), sendPacket(this, this._packetRW.write.finalize(packet));
      }
      authInfoReq(name, instructions, prompts) {
        if (!this._server)
          throw new Error("Server-only method called in client mode");
        let promptsLen = 0, nameLen = name ? Buffer.byteLength(name) : 0, instrLen = instructions ? Buffer.byteLength(instructions) : 0;
        for (let i = 0; i < prompts.length; ++i)
          promptsLen += 4 + Buffer.byteLength(prompts[i].prompt) + 1;
        let p = this._packetRW.write.allocStart, packet = this._packetRW.write.alloc(
          5 + nameLen + 4 + instrLen + 4 + 4 + promptsLen
        );
        packet[p] = MESSAGE.USERAUTH_INFO_REQUEST, writeUInt32BE(packet, nameLen, ++p), p += 4, name && (packet.utf8Write(name, p, nameLen), p += nameLen), writeUInt32BE(packet, instrLen, p), p += 4, instructions && (packet.utf8Write(instructions, p, instrLen), p += instrLen), writeUInt32BE(packet, 0, p), writeUInt32BE(packet, prompts.length, p += 4), p += 4;
        for (let i = 0; i < prompts.length; ++i) {
          let prompt = prompts[i], promptLen = Buffer.byteLength(prompt.prompt);
          writeUInt32BE(packet, promptLen, p), p += 4, promptLen && (packet.utf8Write(prompt.prompt, p, promptLen), p += promptLen), packet[p++] = prompt.echo ? 1 : 0;
        }
        this._debug && this._debug("Outbound: Sending USERAUTH_INFO_REQUEST"), sendPacket(this, this._packetRW.write.finalize(packet));
      }
    }, RE_IDENT = /^SSH-(2\.0|1\.99)-([^ ]+)(?: (.*))?$/;
    function parseHeader(chunk, p, len) {
      let data, chunkOffset;
      this._buffer ? (data = Buffer.allocUnsafe(this._buffer.length + (len - p)), data.set(this._buffer, 0), p === 0 ? data.set(chunk, this._buffer.length) : data.set(
        new Uint8Array(
          chunk.buffer,
          chunk.byteOffset + p,
          len - p
        ),
        this._buffer.length
      ), chunkOffset = this._buffer.length, p = 0) : (data = chunk, chunkOffset = 0);
      let op = p, start = p, end = p, needNL = !1, lineLen = 0, lines = 0;
      for (; p < data.length; ++p) {
        let ch = data[p];
        if (ch === 13) {
          needNL = !0;
          continue;
        }
        if (ch === 10) {
          if (end > start && end - start > 4 && data[start] === 83 && data[start + 1] === 83 && data[start + 2] === 72 && data[start + 3] === 45) {
            let full = data.latin1Slice(op, end + 1), identRaw = start === op ? full : full.slice(start - op), m = RE_IDENT.exec(identRaw);
            if (!m)
              throw new Error("Invalid identification string");
            let header = {
              greeting: start === op ? "" : full.slice(0, start - op),
              identRaw,
              versions: {
                protocol: m[1],
                software: m[2]
              },
              comments: m[3]
            };
            return this._remoteIdentRaw = Buffer.from(identRaw), this._debug && this._debug(`Remote ident: ${inspect(identRaw)}`), this._compatFlags = getCompatFlags(header), this._buffer = void 0, this._decipher = new NullDecipher(0, onKEXPayload.bind(this, { firstPacket: !0 })), this._parse = parsePacket, this._onHeader(header), this._destruct ? (kexinit(this), p + 1 - chunkOffset) : len;
          }
          if (this._server)
            throw new Error("Greetings from clients not permitted");
          if (++lines > MAX_LINES)
            throw new Error("Max greeting lines exceeded");
          needNL = !1, start = p + 1, lineLen = 0;
        } else {
          if (needNL)
            throw new Error("Invalid header: expected newline");
          if (++lineLen >= MAX_LINE_LEN)
            throw new Error("Header line too long");
        }
        end = p;
      }
      return this._buffer || (this._buffer = bufferSlice(data, op)), p - chunkOffset;
    }
    function parsePacket(chunk, p, len) {
      return this._decipher.decrypt(chunk, p, len);
    }
    function onPayload(payload) {
      if (this._onPacket(), payload.length === 0) {
        this._debug && this._debug("Inbound: Skipping empty packet payload");
        return;
      }
      payload = this._packetRW.read.read(payload);
      let type = payload[0];
      type === MESSAGE.USERAUTH_SUCCESS && !this._server && !this._authenticated && (this._authenticated = !0, this._kex.negotiated.cs.compress === "zlib@openssh.com" && (this._packetRW.write = new ZlibPacketWriter(this)), this._kex.negotiated.sc.compress === "zlib@openssh.com" && (this._packetRW.read = new ZlibPacketReader()));
      let handler = MESSAGE_HANDLERS[type];
      if (handler === void 0) {
        this._debug && this._debug(`Inbound: Unsupported message type: ${type}`);
        return;
      }
      return handler(this, payload);
    }
    function getCompatFlags(header) {
      let software = header.versions.software, flags = 0;
      for (let rule of COMPAT_CHECKS)
        typeof rule[0] == "string" ? software === rule[0] && (flags |= rule[1]) : rule[0].test(software) && (flags |= rule[1]);
      return flags;
    }
    function modesToBytes(modes) {
      let keys = Object.keys(modes), bytes = Buffer.allocUnsafe(5 * keys.length + 1), b = 0;
      for (let i = 0; i < keys.length; ++i) {
        let key = keys[i];
        if (key === "TTY_OP_END")
          continue;
        let opcode = TERMINAL_MODE[key];
        if (opcode === void 0)
          continue;
        let val = modes[key];
        typeof val == "number" && isFinite(val) && (bytes[b++] = opcode, bytes[b++] = val >>> 24, bytes[b++] = val >>> 16, bytes[b++] = val >>> 8, bytes[b++] = val);
      }
      return bytes[b++] = TERMINAL_MODE.TTY_OP_END, b < bytes.length ? bufferSlice(bytes, 0, b) : bytes;
    }
    function sendExtInfo(proto) {
      let serverSigAlgs = "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521rsa-sha2-512,rsa-sha2-256,ssh-rsa,ssh-dss";
      eddsaSupported && (serverSigAlgs = `ssh-ed25519,${serverSigAlgs}`);
      let algsLen = Buffer.byteLength(serverSigAlgs), p = proto._packetRW.write.allocStart, packet = proto._packetRW.write.alloc(28 + algsLen);
      packet[p] = MESSAGE.EXT_INFO, writeUInt32BE(packet, 1, ++p), writeUInt32BE(packet, 15, p += 4), packet.utf8Write("server-sig-algs", p += 4, 15), writeUInt32BE(packet, algsLen, p += 15), packet.utf8Write(serverSigAlgs, p += 4, algsLen), proto._debug && proto._debug("Outbound: Sending EXT_INFO"), sendPacket(proto, proto._packetRW.write.finalize(packet));
    }
    module.exports = Protocol;
  }
});

// node_modules/ssh2/lib/protocol/node-fs-compat.js
var require_node_fs_compat = __commonJS({
  "node_modules/ssh2/lib/protocol/node-fs-compat.js"(exports) {
    "use strict";
    var assert = __require("assert"), { inspect } = __require("util");
    function addNumericalSeparator(val) {
      let res = "", i = val.length, start = val[0] === "-" ? 1 : 0;
      for (; i >= start + 4; i -= 3)
        res = `_${val.slice(i - 3, i)}${res}`;
      return `${val.slice(0, i)}${res}`;
    }
    function oneOf2(expected, thing) {
      if (assert(typeof thing == "string", "`thing` has to be of type string"), Array.isArray(expected)) {
        let len = expected.length;
        return assert(len > 0, "At least one expected value needs to be specified"), expected = expected.map((i) => String(i)), len > 2 ? `one of ${thing} ${expected.slice(0, len - 1).join(", ")}, or ` + expected[len - 1] : len === 2 ? `one of ${thing} ${expected[0]} or ${expected[1]}` : `of ${thing} ${expected[0]}`;
      }
      return `of ${thing} ${String(expected)}`;
    }
    exports.ERR_INTERNAL_ASSERTION = class ERR_INTERNAL_ASSERTION extends Error {
      constructor(message) {
        super(), Error.captureStackTrace(this, ERR_INTERNAL_ASSERTION);
        let suffix = `This is caused by either a bug in ssh2 or incorrect usage of ssh2 internals.
Please open an issue with this stack trace at https://github.com/mscdex/ssh2/issues
`;
        this.message = message === void 0 ? suffix : `${message}
${suffix}`;
      }
    };
    var MAX_32BIT_INT = 2 ** 32, MAX_32BIT_BIGINT = (() => {
      try {
        return new Function("return 2n ** 32n")();
      } catch {
      }
    })();
    exports.ERR_OUT_OF_RANGE = class ERR_OUT_OF_RANGE extends RangeError {
      constructor(str, range, input, replaceDefaultBoolean) {
        super(), Error.captureStackTrace(this, ERR_OUT_OF_RANGE), assert(range, 'Missing "range" argument');
        let msg = replaceDefaultBoolean ? str : `The value of "${str}" is out of range.`, received;
        Number.isInteger(input) && Math.abs(input) > MAX_32BIT_INT ? received = addNumericalSeparator(String(input)) : typeof input == "bigint" ? (received = String(input), (input > MAX_32BIT_BIGINT || input < -MAX_32BIT_BIGINT) && (received = addNumericalSeparator(received)), received += "n") : received = inspect(input), msg += ` It must be ${range}. Received ${received}`, this.message = msg;
      }
    };
    var ERR_INVALID_ARG_TYPE = class _ERR_INVALID_ARG_TYPE extends TypeError {
      constructor(name, expected, actual) {
        super(), Error.captureStackTrace(this, _ERR_INVALID_ARG_TYPE), assert(typeof name == "string", "'name' must be a string");
        let determiner;
        typeof expected == "string" && expected.startsWith("not ") ? (determiner = "must not be", expected = expected.replace(/^not /, "")) : determiner = "must be";
        let msg;
        if (name.endsWith(" argument"))
          msg = `The ${name} ${determiner} ${oneOf2(expected, "type")}`;
        else {
          let type = name.includes(".") ? "property" : "argument";
          msg = `The "${name}" ${type} ${determiner} ${oneOf2(expected, "type")}`;
        }
        msg += `. Received type ${typeof actual}`, this.message = msg;
      }
    };
    exports.ERR_INVALID_ARG_TYPE = ERR_INVALID_ARG_TYPE;
    exports.validateNumber = function(value, name) {
      if (typeof value != "number")
        throw new ERR_INVALID_ARG_TYPE(name, "number", value);
    };
  }
});

// node_modules/ssh2/lib/protocol/SFTP.js
var require_SFTP = __commonJS({
  "node_modules/ssh2/lib/protocol/SFTP.js"(exports, module) {
    "use strict";
    var EventEmitter = __require("events"), fs = __require("fs"), { constants } = fs, {
      Readable: ReadableStream,
      Writable: WritableStream
    } = __require("stream"), { inherits, types: { isDate } } = __require("util"), FastBuffer = Buffer[Symbol.species], {
      bufferCopy,
      bufferSlice,
      makeBufferParser,
      writeUInt32BE
    } = require_utils(), ATTR = {
      SIZE: 1,
      UIDGID: 2,
      PERMISSIONS: 4,
      ACMODTIME: 8,
      EXTENDED: 2147483648
    }, ATTRS_BUF = Buffer.alloc(28), STATUS_CODE = {
      OK: 0,
      EOF: 1,
      NO_SUCH_FILE: 2,
      PERMISSION_DENIED: 3,
      FAILURE: 4,
      BAD_MESSAGE: 5,
      NO_CONNECTION: 6,
      CONNECTION_LOST: 7,
      OP_UNSUPPORTED: 8
    }, VALID_STATUS_CODES = new Map(
      Object.values(STATUS_CODE).map((n) => [n, 1])
    ), STATUS_CODE_STR = {
      [STATUS_CODE.OK]: "No error",
      [STATUS_CODE.EOF]: "End of file",
      [STATUS_CODE.NO_SUCH_FILE]: "No such file or directory",
      [STATUS_CODE.PERMISSION_DENIED]: "Permission denied",
      [STATUS_CODE.FAILURE]: "Failure",
      [STATUS_CODE.BAD_MESSAGE]: "Bad message",
      [STATUS_CODE.NO_CONNECTION]: "No connection",
      [STATUS_CODE.CONNECTION_LOST]: "Connection lost",
      [STATUS_CODE.OP_UNSUPPORTED]: "Operation unsupported"
    }, REQUEST = {
      INIT: 1,
      OPEN: 3,
      CLOSE: 4,
      READ: 5,
      WRITE: 6,
      LSTAT: 7,
      FSTAT: 8,
      SETSTAT: 9,
      FSETSTAT: 10,
      OPENDIR: 11,
      READDIR: 12,
      REMOVE: 13,
      MKDIR: 14,
      RMDIR: 15,
      REALPATH: 16,
      STAT: 17,
      RENAME: 18,
      READLINK: 19,
      SYMLINK: 20,
      EXTENDED: 200
    }, RESPONSE = {
      VERSION: 2,
      STATUS: 101,
      HANDLE: 102,
      DATA: 103,
      NAME: 104,
      ATTRS: 105,
      EXTENDED: 201
    }, OPEN_MODE = {
      READ: 1,
      WRITE: 2,
      APPEND: 4,
      CREAT: 8,
      TRUNC: 16,
      EXCL: 32
    }, PKT_RW_OVERHEAD = 2 * 1024, MAX_REQID = 2 ** 32 - 1, CLIENT_VERSION_BUFFER = Buffer.from([
      0,
      0,
      0,
      5,
      REQUEST.INIT,
      0,
      0,
      0,
      3
      /* version */
    ]), SERVER_VERSION_BUFFER = Buffer.from([
      0,
      0,
      0,
      5,
      RESPONSE.VERSION,
      0,
      0,
      0,
      3
      /* version */
    ]), RE_OPENSSH = /^SSH-2.0-(?:OpenSSH|dropbear)/, OPENSSH_MAX_PKT_LEN = 256 * 1024, bufferParser = makeBufferParser(), fakeStderr = {
      readable: !1,
      writable: !1,
      push: (data) => {
      },
      once: () => {
      },
      on: () => {
      },
      emit: () => {
      },
      end: () => {
      }
    };
    function noop() {
    }
    var SFTP = class extends EventEmitter {
      constructor(client, chanInfo, cfg) {
        super(), (typeof cfg != "object" || !cfg) && (cfg = {});
        let remoteIdentRaw = client._protocol._remoteIdentRaw;
        this.server = !!cfg.server, this._debug = typeof cfg.debug == "function" ? cfg.debug : void 0, this._isOpenSSH = remoteIdentRaw && RE_OPENSSH.test(remoteIdentRaw), this._version = -1, this._extensions = {}, this._biOpt = cfg.biOpt, this._pktLenBytes = 0, this._pktLen = 0, this._pktPos = 0, this._pktType = 0, this._pktData = void 0, this._writeReqid = -1, this._requests = {}, this._maxInPktLen = OPENSSH_MAX_PKT_LEN, this._maxOutPktLen = 34e3, this._maxReadLen = (this._isOpenSSH ? OPENSSH_MAX_PKT_LEN : 34e3) - PKT_RW_OVERHEAD, this._maxWriteLen = (this._isOpenSSH ? OPENSSH_MAX_PKT_LEN : 34e3) - PKT_RW_OVERHEAD, this.maxOpenHandles = void 0, this._client = client, this._protocol = client._protocol, this._callbacks = [], this._hasX11 = !1, this._exit = {
          code: void 0,
          signal: void 0,
          dump: void 0,
          desc: void 0
        }, this._waitWindow = !1, this._chunkcb = void 0, this._buffer = [], this.type = chanInfo.type, this.subtype = void 0, this.incoming = chanInfo.incoming, this.outgoing = chanInfo.outgoing, this.stderr = fakeStderr, this.readable = !0;
      }
      // This handles incoming data to parse
      push(data) {
        if (data === null) {
          if (cleanupRequests(this), !this.readable)
            return;
          this.readable = !1, this.emit("end");
          return;
        }
        let p = 0;
        for (; p < data.length; ) {
          if (this._pktLenBytes < 4) {
            let nb = Math.min(4 - this._pktLenBytes, data.length - p);
            for (this._pktLenBytes += nb; nb--; )
              this._pktLen = (this._pktLen << 8) + data[p++];
            if (this._pktLenBytes < 4)
              return;
            if (this._pktLen === 0)
              return doFatalSFTPError(this, "Invalid packet length");
            if (this._pktLen > this._maxInPktLen) {
              let max = this._maxInPktLen;
              return doFatalSFTPError(
                this,
                `Packet length ${this._pktLen} exceeds max length of ${max}`
              );
            }
            if (p >= data.length)
              return;
          }
          if (this._pktPos < this._pktLen) {
            let nb = Math.min(this._pktLen - this._pktPos, data.length - p);
            if (p !== 0 || nb !== data.length ? nb === this._pktLen ? this._pkt = new FastBuffer(data.buffer, data.byteOffset + p, nb) : (this._pkt || (this._pkt = Buffer.allocUnsafe(this._pktLen)), this._pkt.set(
              new Uint8Array(data.buffer, data.byteOffset + p, nb),
              this._pktPos
            )) : nb === this._pktLen ? this._pkt = data : (this._pkt || (this._pkt = Buffer.allocUnsafe(this._pktLen)), this._pkt.set(data, this._pktPos)), p += nb, this._pktPos += nb, this._pktPos < this._pktLen)
              return;
          }
          let type = this._pkt[0], payload = this._pkt;
          this._pktLen = 0, this._pktLenBytes = 0, this._pkt = void 0, this._pktPos = 0;
          let handler = this.server ? SERVER_HANDLERS[type] : CLIENT_HANDLERS[type];
          if (!handler)
            return doFatalSFTPError(this, `Unknown packet type ${type}`);
          if (this._version === -1) {
            if (this.server) {
              if (type !== REQUEST.INIT)
                return doFatalSFTPError(this, `Expected INIT packet, got ${type}`);
            } else if (type !== RESPONSE.VERSION)
              return doFatalSFTPError(this, `Expected VERSION packet, got ${type}`);
          }
          if (handler(this, payload) === !1)
            return;
        }
      }
      end() {
        this.destroy();
      }
      destroy() {
        (this.outgoing.state === "open" || this.outgoing.state === "eof") && (this.outgoing.state = "closing", this._protocol.channelClose(this.outgoing.id));
      }
      _init() {
        this._init = noop, this.server || sendOrBuffer(this, CLIENT_VERSION_BUFFER);
      }
      // ===========================================================================
      // Client-specific ===========================================================
      // ===========================================================================
      createReadStream(path, options) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        return new ReadStream(this, path, options);
      }
      createWriteStream(path, options) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        return new WriteStream(this, path, options);
      }
      open(path, flags_, attrs, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        typeof attrs == "function" && (cb = attrs, attrs = void 0);
        let flags = typeof flags_ == "number" ? flags_ : stringToFlags(flags_);
        if (flags === null)
          throw new Error(`Unknown flags string: ${flags_}`);
        let attrsFlags = 0, attrsLen = 0;
        (typeof attrs == "string" || typeof attrs == "number") && (attrs = { mode: attrs }), typeof attrs == "object" && attrs !== null && (attrs = attrsToBytes(attrs), attrsFlags = attrs.flags, attrsLen = attrs.nb);
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(13 + pathLen + 4 + 4 + attrsLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.OPEN;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, pathLen, p), buf.utf8Write(path, p += 4, pathLen), writeUInt32BE(buf, flags, p += pathLen), writeUInt32BE(buf, attrsFlags, p += 4), attrsLen && (p += 4, attrsLen === ATTRS_BUF.length ? buf.set(ATTRS_BUF, p) : bufferCopy(ATTRS_BUF, buf, 0, attrsLen, p), p += attrsLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} OPEN`
        );
      }
      close(handle, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (!Buffer.isBuffer(handle))
          throw new Error("handle is not a Buffer");
        let handleLen = handle.length, p = 9, buf = Buffer.allocUnsafe(13 + handleLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.CLOSE;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, handleLen, p), buf.set(handle, p += 4), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} CLOSE`
        );
      }
      read(handle, buf, off, len, position, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (!Buffer.isBuffer(handle))
          throw new Error("handle is not a Buffer");
        if (!Buffer.isBuffer(buf))
          throw new Error("buffer is not a Buffer");
        if (off >= buf.length)
          throw new Error("offset is out of bounds");
        if (off + len > buf.length)
          throw new Error("length extends beyond buffer");
        if (position === null)
          throw new Error("null position currently unsupported");
        read_(this, handle, buf, off, len, position, cb);
      }
      readData(handle, buf, off, len, position, cb) {
        this.read(handle, buf, off, len, position, cb);
      }
      write(handle, buf, off, len, position, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (!Buffer.isBuffer(handle))
          throw new Error("handle is not a Buffer");
        if (!Buffer.isBuffer(buf))
          throw new Error("buffer is not a Buffer");
        if (off > buf.length)
          throw new Error("offset is out of bounds");
        if (off + len > buf.length)
          throw new Error("length extends beyond buffer");
        if (position === null)
          throw new Error("null position currently unsupported");
        if (!len) {
          cb && process.nextTick(cb, void 0, 0);
          return;
        }
        let maxDataLen = this._maxWriteLen, overflow = Math.max(len - maxDataLen, 0), origPosition = position;
        overflow && (len = maxDataLen);
        let handleLen = handle.length, p = 9, out = Buffer.allocUnsafe(13 + handleLen + 8 + 4 + len);
        writeUInt32BE(out, out.length - 4, 0), out[4] = REQUEST.WRITE;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(out, reqid, 5), writeUInt32BE(out, handleLen, p), out.set(handle, p += 4), p += handleLen;
        for (let i = 7; i >= 0; --i)
          out[p + i] = position & 255, position /= 256;
        writeUInt32BE(out, len, p += 8), bufferCopy(buf, out, off, off + len, p += 4), this._requests[reqid] = {
          cb: (err) => {
            err ? typeof cb == "function" && cb(err) : overflow ? this.write(
              handle,
              buf,
              off + len,
              overflow,
              origPosition + len,
              cb
            ) : typeof cb == "function" && cb(void 0, off + len);
          }
        };
        let isSent = sendOrBuffer(this, out);
        if (this._debug) {
          let how = isSent ? "Sent" : "Buffered";
          this._debug(`SFTP: Outbound: ${how} WRITE (id:${reqid})`);
        }
      }
      writeData(handle, buf, off, len, position, cb) {
        this.write(handle, buf, off, len, position, cb);
      }
      fastGet(remotePath, localPath, opts, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        fastXfer(this, fs, remotePath, localPath, opts, cb);
      }
      fastPut(localPath, remotePath, opts, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        fastXfer(fs, this, localPath, remotePath, opts, cb);
      }
      readFile(path, options, callback_) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let callback;
        if (typeof callback_ == "function" ? callback = callback_ : typeof options == "function" && (callback = options, options = void 0), typeof options == "string")
          options = { encoding: options, flag: "r" };
        else if (!options)
          options = { encoding: null, flag: "r" };
        else if (typeof options != "object")
          throw new TypeError("Bad arguments");
        let encoding = options.encoding;
        if (encoding && !Buffer.isEncoding(encoding))
          throw new Error(`Unknown encoding: ${encoding}`);
        let size, buffer, buffers, pos = 0, handle, bytesRead = 0, flag = options.flag || "r", read = () => {
          size === 0 ? (buffer = Buffer.allocUnsafe(8192), this.read(handle, buffer, 0, 8192, bytesRead, afterRead)) : this.read(handle, buffer, pos, size - pos, bytesRead, afterRead);
        }, afterRead = (er, nbytes) => {
          let eof;
          if (er) {
            if (eof = er.code === STATUS_CODE.EOF, !eof)
              return this.close(handle, () => callback && callback(er));
          } else
            eof = !1;
          if (eof || size === 0 && nbytes === 0)
            return close();
          bytesRead += nbytes, pos += nbytes, size !== 0 ? pos === size ? close() : read() : (buffers.push(bufferSlice(buffer, 0, nbytes)), read());
        };
        afterRead._wantEOFError = !0;
        let close = () => {
          this.close(handle, (er) => (size === 0 ? buffer = Buffer.concat(buffers, pos) : pos < size && (buffer = bufferSlice(buffer, 0, pos)), encoding && (buffer = buffer.toString(encoding)), callback && callback(er, buffer)));
        };
        this.open(path, flag, 438, (er, handle_) => {
          if (er)
            return callback && callback(er);
          handle = handle_;
          let tryStat = (er2, st) => {
            if (er2) {
              this.stat(path, (er_, st_) => {
                if (er_)
                  return this.close(handle, () => {
                    callback && callback(er2);
                  });
                tryStat(null, st_);
              });
              return;
            }
            if (size = st.size || 0, size === 0)
              return buffers = [], read();
            buffer = Buffer.allocUnsafe(size), read();
          };
          this.fstat(handle, tryStat);
        });
      }
      writeFile(path, data, options, callback_) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let callback;
        if (typeof callback_ == "function" ? callback = callback_ : typeof options == "function" && (callback = options, options = void 0), typeof options == "string")
          options = { encoding: options, mode: 438, flag: "w" };
        else if (!options)
          options = { encoding: "utf8", mode: 438, flag: "w" };
        else if (typeof options != "object")
          throw new TypeError("Bad arguments");
        if (options.encoding && !Buffer.isEncoding(options.encoding))
          throw new Error(`Unknown encoding: ${options.encoding}`);
        let flag = options.flag || "w";
        this.open(path, flag, options.mode, (openErr, handle) => {
          if (openErr)
            callback && callback(openErr);
          else {
            let buffer = Buffer.isBuffer(data) ? data : Buffer.from("" + data, options.encoding || "utf8"), position = /a/.test(flag) ? null : 0;
            if (position === null) {
              let tryStat = (er, st) => {
                if (er) {
                  this.stat(path, (er_, st_) => {
                    if (er_)
                      return this.close(handle, () => {
                        callback && callback(er);
                      });
                    tryStat(null, st_);
                  });
                  return;
                }
                writeAll(this, handle, buffer, 0, buffer.length, st.size, callback);
              };
              this.fstat(handle, tryStat);
              return;
            }
            writeAll(this, handle, buffer, 0, buffer.length, position, callback);
          }
        });
      }
      appendFile(path, data, options, callback_) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let callback;
        if (typeof callback_ == "function" ? callback = callback_ : typeof options == "function" && (callback = options, options = void 0), typeof options == "string")
          options = { encoding: options, mode: 438, flag: "a" };
        else if (!options)
          options = { encoding: "utf8", mode: 438, flag: "a" };
        else if (typeof options != "object")
          throw new TypeError("Bad arguments");
        options.flag || (options = Object.assign({ flag: "a" }, options)), this.writeFile(path, data, options, callback);
      }
      exists(path, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        this.stat(path, (err) => {
          cb && cb(!err);
        });
      }
      unlink(filename, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let fnameLen = Buffer.byteLength(filename), p = 9, buf = Buffer.allocUnsafe(13 + fnameLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.REMOVE;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, fnameLen, p), buf.utf8Write(filename, p += 4, fnameLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} REMOVE`
        );
      }
      rename(oldPath, newPath, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let oldLen = Buffer.byteLength(oldPath), newLen = Buffer.byteLength(newPath), p = 9, buf = Buffer.allocUnsafe(13 + oldLen + 4 + newLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.RENAME;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, oldLen, p), buf.utf8Write(oldPath, p += 4, oldLen), writeUInt32BE(buf, newLen, p += oldLen), buf.utf8Write(newPath, p += 4, newLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} RENAME`
        );
      }
      mkdir(path, attrs, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let flags = 0, attrsLen = 0;
        typeof attrs == "function" && (cb = attrs, attrs = void 0), typeof attrs == "object" && attrs !== null && (attrs = attrsToBytes(attrs), flags = attrs.flags, attrsLen = attrs.nb);
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(13 + pathLen + 4 + attrsLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.MKDIR;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, pathLen, p), buf.utf8Write(path, p += 4, pathLen), writeUInt32BE(buf, flags, p += pathLen), attrsLen && (p += 4, attrsLen === ATTRS_BUF.length ? buf.set(ATTRS_BUF, p) : bufferCopy(ATTRS_BUF, buf, 0, attrsLen, p), p += attrsLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} MKDIR`
        );
      }
      rmdir(path, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(13 + pathLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.RMDIR;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, pathLen, p), buf.utf8Write(path, p += 4, pathLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} RMDIR`
        );
      }
      readdir(where, opts, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        typeof opts == "function" && (cb = opts, opts = {}), (typeof opts != "object" || opts === null) && (opts = {});
        let doFilter = !(opts && opts.full);
        if (!Buffer.isBuffer(where) && typeof where != "string")
          throw new Error("missing directory handle or path");
        if (typeof where == "string") {
          let entries = [], e = 0, reread = (err, handle) => {
            if (err)
              return cb(err);
            this.readdir(handle, opts, (err2, list) => {
              let eof = err2 && err2.code === STATUS_CODE.EOF;
              if (err2 && !eof)
                return this.close(handle, () => cb(err2));
              if (eof)
                return this.close(handle, (err3) => {
                  if (err3)
                    return cb(err3);
                  cb(void 0, entries);
                });
              for (let i = 0; i < list.length; ++i, ++e)
                entries[e] = list[i];
              reread(void 0, handle);
            });
          };
          return this.opendir(where, reread);
        }
        let handleLen = where.length, p = 9, buf = Buffer.allocUnsafe(13 + handleLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.READDIR;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, handleLen, p), buf.set(where, p += 4), this._requests[reqid] = {
          cb: doFilter ? (err, list) => {
            if (typeof cb == "function") {
              if (err)
                return cb(err);
              for (let i = list.length - 1; i >= 0; --i)
                (list[i].filename === "." || list[i].filename === "..") && list.splice(i, 1);
              cb(void 0, list);
            }
          } : cb
        };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} READDIR`
        );
      }
      fstat(handle, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (!Buffer.isBuffer(handle))
          throw new Error("handle is not a Buffer");
        let handleLen = handle.length, p = 9, buf = Buffer.allocUnsafe(13 + handleLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.FSTAT;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, handleLen, p), buf.set(handle, p += 4), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} FSTAT`
        );
      }
      stat(path, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(13 + pathLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.STAT;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, pathLen, p), buf.utf8Write(path, p += 4, pathLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} STAT`
        );
      }
      lstat(path, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(13 + pathLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.LSTAT;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, pathLen, p), buf.utf8Write(path, p += 4, pathLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} LSTAT`
        );
      }
      opendir(path, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(13 + pathLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.OPENDIR;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, pathLen, p), buf.utf8Write(path, p += 4, pathLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} OPENDIR`
        );
      }
      setstat(path, attrs, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let flags = 0, attrsLen = 0;
        typeof attrs == "object" && attrs !== null ? (attrs = attrsToBytes(attrs), flags = attrs.flags, attrsLen = attrs.nb) : typeof attrs == "function" && (cb = attrs);
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(13 + pathLen + 4 + attrsLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.SETSTAT;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, pathLen, p), buf.utf8Write(path, p += 4, pathLen), writeUInt32BE(buf, flags, p += pathLen), attrsLen && (p += 4, attrsLen === ATTRS_BUF.length ? buf.set(ATTRS_BUF, p) : bufferCopy(ATTRS_BUF, buf, 0, attrsLen, p), p += attrsLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} SETSTAT`
        );
      }
      fsetstat(handle, attrs, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (!Buffer.isBuffer(handle))
          throw new Error("handle is not a Buffer");
        let flags = 0, attrsLen = 0;
        typeof attrs == "object" && attrs !== null ? (attrs = attrsToBytes(attrs), flags = attrs.flags, attrsLen = attrs.nb) : typeof attrs == "function" && (cb = attrs);
        let handleLen = handle.length, p = 9, buf = Buffer.allocUnsafe(13 + handleLen + 4 + attrsLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.FSETSTAT;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, handleLen, p), buf.set(handle, p += 4), writeUInt32BE(buf, flags, p += handleLen), attrsLen && (p += 4, attrsLen === ATTRS_BUF.length ? buf.set(ATTRS_BUF, p) : bufferCopy(ATTRS_BUF, buf, 0, attrsLen, p), p += attrsLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} FSETSTAT`
        );
      }
      futimes(handle, atime, mtime, cb) {
        return this.fsetstat(handle, {
          atime: toUnixTimestamp(atime),
          mtime: toUnixTimestamp(mtime)
        }, cb);
      }
      utimes(path, atime, mtime, cb) {
        return this.setstat(path, {
          atime: toUnixTimestamp(atime),
          mtime: toUnixTimestamp(mtime)
        }, cb);
      }
      fchown(handle, uid, gid, cb) {
        return this.fsetstat(handle, {
          uid,
          gid
        }, cb);
      }
      chown(path, uid, gid, cb) {
        return this.setstat(path, {
          uid,
          gid
        }, cb);
      }
      fchmod(handle, mode, cb) {
        return this.fsetstat(handle, {
          mode
        }, cb);
      }
      chmod(path, mode, cb) {
        return this.setstat(path, {
          mode
        }, cb);
      }
      readlink(path, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(13 + pathLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.READLINK;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, pathLen, p), buf.utf8Write(path, p += 4, pathLen), this._requests[reqid] = {
          cb: (err, names) => {
            if (typeof cb == "function") {
              if (err)
                return cb(err);
              if (!names || !names.length)
                return cb(new Error("Response missing link info"));
              cb(void 0, names[0].filename);
            }
          }
        };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} READLINK`
        );
      }
      symlink(targetPath, linkPath, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let linkLen = Buffer.byteLength(linkPath), targetLen = Buffer.byteLength(targetPath), p = 9, buf = Buffer.allocUnsafe(13 + linkLen + 4 + targetLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.SYMLINK;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), this._isOpenSSH ? (writeUInt32BE(buf, targetLen, p), buf.utf8Write(targetPath, p += 4, targetLen), writeUInt32BE(buf, linkLen, p += targetLen), buf.utf8Write(linkPath, p += 4, linkLen)) : (writeUInt32BE(buf, linkLen, p), buf.utf8Write(linkPath, p += 4, linkLen), writeUInt32BE(buf, targetLen, p += linkLen), buf.utf8Write(targetPath, p += 4, targetLen)), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} SYMLINK`
        );
      }
      realpath(path, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(13 + pathLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.REALPATH;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, pathLen, p), buf.utf8Write(path, p += 4, pathLen), this._requests[reqid] = {
          cb: (err, names) => {
            if (typeof cb == "function") {
              if (err)
                return cb(err);
              if (!names || !names.length)
                return cb(new Error("Response missing path info"));
              cb(void 0, names[0].filename);
            }
          }
        };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} REALPATH`
        );
      }
      // extended requests
      ext_openssh_rename(oldPath, newPath, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let ext = this._extensions["posix-rename@openssh.com"];
        if (!ext || ext !== "1")
          throw new Error("Server does not support this extended request");
        let oldLen = Buffer.byteLength(oldPath), newLen = Buffer.byteLength(newPath), p = 9, buf = Buffer.allocUnsafe(41 + oldLen + 4 + newLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.EXTENDED;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, 24, p), buf.utf8Write("posix-rename@openssh.com", p += 4, 24), writeUInt32BE(buf, oldLen, p += 24), buf.utf8Write(oldPath, p += 4, oldLen), writeUInt32BE(buf, newLen, p += oldLen), buf.utf8Write(newPath, p += 4, newLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        if (this._debug) {
          let which = isBuffered ? "Buffered" : "Sending";
          this._debug(`SFTP: Outbound: ${which} posix-rename@openssh.com`);
        }
      }
      ext_openssh_statvfs(path, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let ext = this._extensions["statvfs@openssh.com"];
        if (!ext || ext !== "2")
          throw new Error("Server does not support this extended request");
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(36 + pathLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.EXTENDED;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, 19, p), buf.utf8Write("statvfs@openssh.com", p += 4, 19), writeUInt32BE(buf, pathLen, p += 19), buf.utf8Write(path, p += 4, pathLen), this._requests[reqid] = { extended: "statvfs@openssh.com", cb };
        let isBuffered = sendOrBuffer(this, buf);
        if (this._debug) {
          let which = isBuffered ? "Buffered" : "Sending";
          this._debug(`SFTP: Outbound: ${which} statvfs@openssh.com`);
        }
      }
      ext_openssh_fstatvfs(handle, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        let ext = this._extensions["fstatvfs@openssh.com"];
        if (!ext || ext !== "2")
          throw new Error("Server does not support this extended request");
        if (!Buffer.isBuffer(handle))
          throw new Error("handle is not a Buffer");
        let handleLen = handle.length, p = 9, buf = Buffer.allocUnsafe(37 + handleLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.EXTENDED;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, 20, p), buf.utf8Write("fstatvfs@openssh.com", p += 4, 20), writeUInt32BE(buf, handleLen, p += 20), buf.set(handle, p += 4), this._requests[reqid] = { extended: "fstatvfs@openssh.com", cb };
        let isBuffered = sendOrBuffer(this, buf);
        if (this._debug) {
          let which = isBuffered ? "Buffered" : "Sending";
          this._debug(`SFTP: Outbound: ${which} fstatvfs@openssh.com`);
        }
      }
      ext_openssh_hardlink(oldPath, newPath, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (this._extensions["hardlink@openssh.com"] !== "1")
          throw new Error("Server does not support this extended request");
        let oldLen = Buffer.byteLength(oldPath), newLen = Buffer.byteLength(newPath), p = 9, buf = Buffer.allocUnsafe(37 + oldLen + 4 + newLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.EXTENDED;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, 20, p), buf.utf8Write("hardlink@openssh.com", p += 4, 20), writeUInt32BE(buf, oldLen, p += 20), buf.utf8Write(oldPath, p += 4, oldLen), writeUInt32BE(buf, newLen, p += oldLen), buf.utf8Write(newPath, p += 4, newLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        if (this._debug) {
          let which = isBuffered ? "Buffered" : "Sending";
          this._debug(`SFTP: Outbound: ${which} hardlink@openssh.com`);
        }
      }
      ext_openssh_fsync(handle, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (this._extensions["fsync@openssh.com"] !== "1")
          throw new Error("Server does not support this extended request");
        if (!Buffer.isBuffer(handle))
          throw new Error("handle is not a Buffer");
        let handleLen = handle.length, p = 9, buf = Buffer.allocUnsafe(34 + handleLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.EXTENDED;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, 17, p), buf.utf8Write("fsync@openssh.com", p += 4, 17), writeUInt32BE(buf, handleLen, p += 17), buf.set(handle, p += 4), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} fsync@openssh.com`
        );
      }
      ext_openssh_lsetstat(path, attrs, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (this._extensions["lsetstat@openssh.com"] !== "1")
          throw new Error("Server does not support this extended request");
        let flags = 0, attrsLen = 0;
        typeof attrs == "object" && attrs !== null ? (attrs = attrsToBytes(attrs), flags = attrs.flags, attrsLen = attrs.nb) : typeof attrs == "function" && (cb = attrs);
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(37 + pathLen + 4 + attrsLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.EXTENDED;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, 20, p), buf.utf8Write("lsetstat@openssh.com", p += 4, 20), writeUInt32BE(buf, pathLen, p += 20), buf.utf8Write(path, p += 4, pathLen), writeUInt32BE(buf, flags, p += pathLen), attrsLen && (p += 4, attrsLen === ATTRS_BUF.length ? buf.set(ATTRS_BUF, p) : bufferCopy(ATTRS_BUF, buf, 0, attrsLen, p), p += attrsLen), this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        if (this._debug) {
          let status2 = isBuffered ? "Buffered" : "Sending";
          this._debug(`SFTP: Outbound: ${status2} lsetstat@openssh.com`);
        }
      }
      ext_openssh_expandPath(path, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (this._extensions["expand-path@openssh.com"] !== "1")
          throw new Error("Server does not support this extended request");
        let pathLen = Buffer.byteLength(path), p = 9, buf = Buffer.allocUnsafe(40 + pathLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.EXTENDED;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, 23, p), buf.utf8Write("expand-path@openssh.com", p += 4, 23), writeUInt32BE(buf, pathLen, p += 20), buf.utf8Write(path, p += 4, pathLen), this._requests[reqid] = {
          cb: (err, names) => {
            if (typeof cb == "function") {
              if (err)
                return cb(err);
              if (!names || !names.length)
                return cb(new Error("Response missing expanded path"));
              cb(void 0, names[0].filename);
            }
          }
        };
        let isBuffered = sendOrBuffer(this, buf);
        if (this._debug) {
          let status2 = isBuffered ? "Buffered" : "Sending";
          this._debug(`SFTP: Outbound: ${status2} expand-path@openssh.com`);
        }
      }
      ext_copy_data(srcHandle, srcOffset, len, dstHandle, dstOffset, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (this._extensions["copy-data"] !== "1")
          throw new Error("Server does not support this extended request");
        if (!Buffer.isBuffer(srcHandle))
          throw new Error("Source handle is not a Buffer");
        if (!Buffer.isBuffer(dstHandle))
          throw new Error("Destination handle is not a Buffer");
        let p = 0, buf = Buffer.allocUnsafe(
          26 + srcHandle.length + 8 + 8 + 4 + dstHandle.length + 8
        );
        writeUInt32BE(buf, buf.length - 4, p), p += 4, buf[p] = REQUEST.EXTENDED, ++p;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, p), p += 4, writeUInt32BE(buf, 9, p), p += 4, buf.utf8Write("copy-data", p, 9), p += 9, writeUInt32BE(buf, srcHandle.length, p), p += 4, buf.set(srcHandle, p), p += srcHandle.length;
        for (let i = 7; i >= 0; --i)
          buf[p + i] = srcOffset & 255, srcOffset /= 256;
        p += 8;
        for (let i = 7; i >= 0; --i)
          buf[p + i] = len & 255, len /= 256;
        p += 8, writeUInt32BE(buf, dstHandle.length, p), p += 4, buf.set(dstHandle, p), p += dstHandle.length;
        for (let i = 7; i >= 0; --i)
          buf[p + i] = dstOffset & 255, dstOffset /= 256;
        this._requests[reqid] = { cb };
        let isBuffered = sendOrBuffer(this, buf);
        if (this._debug) {
          let status2 = isBuffered ? "Buffered" : "Sending";
          this._debug(`SFTP: Outbound: ${status2} copy-data`);
        }
      }
      ext_home_dir(username, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (this._extensions["home-directory"] !== "1")
          throw new Error("Server does not support this extended request");
        if (typeof username != "string")
          throw new TypeError("username is not a string");
        let p = 0, usernameLen = Buffer.byteLength(username), buf = Buffer.allocUnsafe(
          31 + usernameLen
        );
        writeUInt32BE(buf, buf.length - 4, p), p += 4, buf[p] = REQUEST.EXTENDED, ++p;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, p), p += 4, writeUInt32BE(buf, 14, p), p += 4, buf.utf8Write("home-directory", p, 14), p += 14, writeUInt32BE(buf, usernameLen, p), p += 4, buf.utf8Write(username, p, usernameLen), p += usernameLen, this._requests[reqid] = {
          cb: (err, names) => {
            if (typeof cb == "function") {
              if (err)
                return cb(err);
              if (!names || !names.length)
                return cb(new Error("Response missing home directory"));
              cb(void 0, names[0].filename);
            }
          }
        };
        let isBuffered = sendOrBuffer(this, buf);
        if (this._debug) {
          let status2 = isBuffered ? "Buffered" : "Sending";
          this._debug(`SFTP: Outbound: ${status2} home-directory`);
        }
      }
      ext_users_groups(uids, gids, cb) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        if (this._extensions["users-groups-by-id@openssh.com"] !== "1")
          throw new Error("Server does not support this extended request");
        if (!Array.isArray(uids))
          throw new TypeError("uids is not an array");
        for (let val of uids)
          if (!Number.isInteger(val) || val < 0 || val > 2 ** 32 - 1)
            throw new Error("uid values must all be 32-bit unsigned integers");
        if (!Array.isArray(gids))
          throw new TypeError("gids is not an array");
        for (let val of gids)
          if (!Number.isInteger(val) || val < 0 || val > 2 ** 32 - 1)
            throw new Error("gid values must all be 32-bit unsigned integers");
        let p = 0, buf = Buffer.allocUnsafe(
          47 + 4 * uids.length + 4 + 4 * gids.length
        );
        writeUInt32BE(buf, buf.length - 4, p), p += 4, buf[p] = REQUEST.EXTENDED, ++p;
        let reqid = this._writeReqid = this._writeReqid + 1 & MAX_REQID;
        writeUInt32BE(buf, reqid, p), p += 4, writeUInt32BE(buf, 30, p), p += 4, buf.utf8Write("users-groups-by-id@openssh.com", p, 30), p += 30, writeUInt32BE(buf, 4 * uids.length, p), p += 4;
        for (let val of uids)
          writeUInt32BE(buf, val, p), p += 4;
        writeUInt32BE(buf, 4 * gids.length, p), p += 4;
        for (let val of gids)
          writeUInt32BE(buf, val, p), p += 4;
        this._requests[reqid] = { extended: "users-groups-by-id@openssh.com", cb };
        let isBuffered = sendOrBuffer(this, buf);
        if (this._debug) {
          let status2 = isBuffered ? "Buffered" : "Sending";
          this._debug(`SFTP: Outbound: ${status2} users-groups-by-id@openssh.com`);
        }
      }
      // ===========================================================================
      // Server-specific ===========================================================
      // ===========================================================================
      handle(reqid, handle) {
        if (!this.server)
          throw new Error("Server-only method called in client mode");
        if (!Buffer.isBuffer(handle))
          throw new Error("handle is not a Buffer");
        let handleLen = handle.length;
        if (handleLen > 256)
          throw new Error("handle too large (> 256 bytes)");
        let p = 9, buf = Buffer.allocUnsafe(13 + handleLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = RESPONSE.HANDLE, writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, handleLen, p), handleLen && buf.set(handle, p += 4);
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} HANDLE`
        );
      }
      status(reqid, code, message) {
        if (!this.server)
          throw new Error("Server-only method called in client mode");
        if (!VALID_STATUS_CODES.has(code))
          throw new Error(`Bad status code: ${code}`);
        message || (message = "");
        let msgLen = Buffer.byteLength(message), p = 9, buf = Buffer.allocUnsafe(17 + msgLen + 4);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = RESPONSE.STATUS, writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, code, p), writeUInt32BE(buf, msgLen, p += 4), p += 4, msgLen && (buf.utf8Write(message, p, msgLen), p += msgLen), writeUInt32BE(buf, 0, p);
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} STATUS`
        );
      }
      data(reqid, data, encoding) {
        if (!this.server)
          throw new Error("Server-only method called in client mode");
        let isBuffer = Buffer.isBuffer(data);
        if (!isBuffer && typeof data != "string")
          throw new Error("data is not a Buffer or string");
        let isUTF8;
        !isBuffer && !encoding && (encoding = void 0, isUTF8 = !0);
        let dataLen = isBuffer ? data.length : Buffer.byteLength(data, encoding), p = 9, buf = Buffer.allocUnsafe(13 + dataLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = RESPONSE.DATA, writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, dataLen, p), dataLen && (isBuffer ? buf.set(data, p += 4) : isUTF8 ? buf.utf8Write(data, p += 4, dataLen) : buf.write(data, p += 4, dataLen, encoding));
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} DATA`
        );
      }
      name(reqid, names) {
        if (!this.server)
          throw new Error("Server-only method called in client mode");
        if (!Array.isArray(names)) {
          if (typeof names != "object" || names === null)
            throw new Error("names is not an object or array");
          names = [names];
        }
        let count = names.length, namesLen = 0, nameAttrs, attrs = [];
        for (let i = 0; i < count; ++i) {
          let name = names[i], filename = !name || !name.filename || typeof name.filename != "string" ? "" : name.filename;
          namesLen += 4 + Buffer.byteLength(filename);
          let longname = !name || !name.longname || typeof name.longname != "string" ? "" : name.longname;
          if (namesLen += 4 + Buffer.byteLength(longname), typeof name.attrs == "object" && name.attrs !== null) {
            if (nameAttrs = attrsToBytes(name.attrs), namesLen += 4 + nameAttrs.nb, nameAttrs.nb) {
              let bytes;
              nameAttrs.nb === ATTRS_BUF.length ? bytes = new Uint8Array(ATTRS_BUF) : (bytes = new Uint8Array(nameAttrs.nb), bufferCopy(ATTRS_BUF, bytes, 0, nameAttrs.nb, 0)), nameAttrs.bytes = bytes;
            }
            attrs.push(nameAttrs);
          } else
            namesLen += 4, attrs.push(null);
        }
        let p = 9, buf = Buffer.allocUnsafe(13 + namesLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = RESPONSE.NAME, writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, count, p), p += 4;
        for (let i = 0; i < count; ++i) {
          let name = names[i];
          {
            let filename = !name || !name.filename || typeof name.filename != "string" ? "" : name.filename, len = Buffer.byteLength(filename);
            writeUInt32BE(buf, len, p), p += 4, len && (buf.utf8Write(filename, p, len), p += len);
          }
          {
            let longname = !name || !name.longname || typeof name.longname != "string" ? "" : name.longname, len = Buffer.byteLength(longname);
            writeUInt32BE(buf, len, p), p += 4, len && (buf.utf8Write(longname, p, len), p += len);
          }
          let attr = attrs[i];
          attr ? (writeUInt32BE(buf, attr.flags, p), p += 4, attr.flags && attr.bytes && (buf.set(attr.bytes, p), p += attr.nb)) : (writeUInt32BE(buf, 0, p), p += 4);
        }
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} NAME`
        );
      }
      attrs(reqid, attrs) {
        if (!this.server)
          throw new Error("Server-only method called in client mode");
        if (typeof attrs != "object" || attrs === null)
          throw new Error("attrs is not an object");
        attrs = attrsToBytes(attrs);
        let flags = attrs.flags, attrsLen = attrs.nb, p = 9, buf = Buffer.allocUnsafe(13 + attrsLen);
        writeUInt32BE(buf, buf.length - 4, 0), buf[4] = RESPONSE.ATTRS, writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, flags, p), attrsLen && (p += 4, attrsLen === ATTRS_BUF.length ? buf.set(ATTRS_BUF, p) : bufferCopy(ATTRS_BUF, buf, 0, attrsLen, p), p += attrsLen);
        let isBuffered = sendOrBuffer(this, buf);
        this._debug && this._debug(
          `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} ATTRS`
        );
      }
    };
    function tryCreateBuffer(size) {
      try {
        return Buffer.allocUnsafe(size);
      } catch (ex) {
        return ex;
      }
    }
    function read_(self2, handle, buf, off, len, position, cb, req_) {
      let maxDataLen = self2._maxReadLen, overflow = Math.max(len - maxDataLen, 0);
      overflow && (len = maxDataLen);
      let handleLen = handle.length, p = 9, pos = position, out = Buffer.allocUnsafe(13 + handleLen + 8 + 4);
      writeUInt32BE(out, out.length - 4, 0), out[4] = REQUEST.READ;
      let reqid = self2._writeReqid = self2._writeReqid + 1 & MAX_REQID;
      writeUInt32BE(out, reqid, 5), writeUInt32BE(out, handleLen, p), out.set(handle, p += 4), p += handleLen;
      for (let i = 7; i >= 0; --i)
        out[p + i] = pos & 255, pos /= 256;
      writeUInt32BE(out, len, p += 8), typeof cb != "function" && (cb = noop);
      let req = req_ || {
        nb: 0,
        position,
        off,
        origOff: off,
        len: void 0,
        overflow: void 0,
        cb: (err, data, nb) => {
          let len2 = req.len, overflow2 = req.overflow;
          if (err) {
            if (cb._wantEOFError || err.code !== STATUS_CODE.EOF)
              return cb(err);
          } else {
            if (nb > len2)
              return cb(new Error("Received more data than requested"));
            if (nb === len2 && overflow2) {
              req.nb += nb, req.position += nb, req.off += nb, read_(self2, handle, buf, req.off, overflow2, req.position, cb, req);
              return;
            }
          }
          nb = nb || 0, req.origOff === 0 && buf.length === req.nb ? data = buf : data = bufferSlice(buf, req.origOff, req.origOff + req.nb + nb), cb(void 0, req.nb + nb, data, req.position);
        },
        buffer: void 0
      };
      req.len = len, req.overflow = overflow, req.buffer = bufferSlice(buf, off, off + len), self2._requests[reqid] = req;
      let isBuffered = sendOrBuffer(self2, out);
      self2._debug && self2._debug(
        `SFTP: Outbound: ${isBuffered ? "Buffered" : "Sending"} READ`
      );
    }
    function fastXfer(src, dst, srcPath, dstPath, opts, cb) {
      let concurrency = 64, chunkSize = 32768, onstep, mode, fileSize;
      typeof opts == "function" ? cb = opts : typeof opts == "object" && opts !== null && (typeof opts.concurrency == "number" && opts.concurrency > 0 && !isNaN(opts.concurrency) && (concurrency = opts.concurrency), typeof opts.chunkSize == "number" && opts.chunkSize > 0 && !isNaN(opts.chunkSize) && (chunkSize = opts.chunkSize), typeof opts.fileSize == "number" && opts.fileSize > 0 && !isNaN(opts.fileSize) && (fileSize = opts.fileSize), typeof opts.step == "function" && (onstep = opts.step), (typeof opts.mode == "string" || typeof opts.mode == "number") && (mode = modeNum(opts.mode)));
      let fsize, pdst = 0, total = 0, hadError = !1, srcHandle, dstHandle, readbuf, bufsize = chunkSize * concurrency;
      function onerror(err) {
        if (hadError)
          return;
        hadError = !0;
        let left = 0, cbfinal;
        srcHandle || dstHandle ? (cbfinal = () => {
          --left === 0 && cb(err);
        }, srcHandle && (src === fs || src.outgoing.state === "open") && ++left, dstHandle && (dst === fs || dst.outgoing.state === "open") && ++left, srcHandle && (src === fs || src.outgoing.state === "open") && src.close(srcHandle, cbfinal), dstHandle && (dst === fs || dst.outgoing.state === "open") && dst.close(dstHandle, cbfinal)) : cb(err);
      }
      src.open(srcPath, "r", (err, sourceHandle) => {
        if (err)
          return onerror(err);
        srcHandle = sourceHandle, fileSize === void 0 ? src.fstat(srcHandle, tryStat) : tryStat(null, { size: fileSize });
        function tryStat(err2, attrs) {
          if (err2) {
            if (src !== fs) {
              src.stat(srcPath, (err_, attrs_) => {
                if (err_)
                  return onerror(err2);
                tryStat(null, attrs_);
              });
              return;
            }
            return onerror(err2);
          }
          fsize = attrs.size, dst.open(dstPath, "w", (err3, destHandle) => {
            if (err3)
              return onerror(err3);
            if (dstHandle = destHandle, fsize <= 0)
              return onerror();
            for (; bufsize > fsize; ) {
              if (concurrency === 1) {
                bufsize = fsize;
                break;
              }
              bufsize -= chunkSize, --concurrency;
            }
            if (readbuf = tryCreateBuffer(bufsize), readbuf instanceof Error)
              return onerror(readbuf);
            mode !== void 0 ? dst.fchmod(dstHandle, mode, function tryAgain(err4) {
              if (err4) {
                dst.chmod(dstPath, mode, (err_) => tryAgain());
                return;
              }
              startReads();
            }) : startReads();
            function onread(err4, nb, data, dstpos, datapos, origChunkLen) {
              if (err4)
                return onerror(err4);
              datapos = datapos || 0, dst.write(dstHandle, readbuf, datapos, nb, dstpos, writeCb);
              function writeCb(err5) {
                if (err5)
                  return onerror(err5);
                if (total += nb, onstep && onstep(total, nb, fsize), nb < origChunkLen)
                  return singleRead(datapos, dstpos + nb, origChunkLen - nb);
                if (total === fsize) {
                  dst.close(dstHandle, (err6) => {
                    if (dstHandle = void 0, err6)
                      return onerror(err6);
                    src.close(srcHandle, (err7) => {
                      if (srcHandle = void 0, err7)
                        return onerror(err7);
                      cb();
                    });
                  });
                  return;
                }
                if (pdst >= fsize)
                  return;
                let chunk = pdst + chunkSize > fsize ? fsize - pdst : chunkSize;
                singleRead(datapos, pdst, chunk), pdst += chunk;
              }
            }
            function makeCb(psrc, pdst2, chunk) {
              return (err4, nb, data) => {
                onread(err4, nb, data, pdst2, psrc, chunk);
              };
            }
            function singleRead(psrc, pdst2, chunk) {
              src.read(
                srcHandle,
                readbuf,
                psrc,
                chunk,
                pdst2,
                makeCb(psrc, pdst2, chunk)
              );
            }
            function startReads() {
              let reads = 0, psrc = 0;
              for (; pdst < fsize && reads < concurrency; ) {
                let chunk = pdst + chunkSize > fsize ? fsize - pdst : chunkSize;
                singleRead(psrc, pdst, chunk), psrc += chunk, pdst += chunk, ++reads;
              }
            }
          });
        }
      });
    }
    function writeAll(sftp, handle, buffer, offset, length, position, callback_) {
      let callback = typeof callback_ == "function" ? callback_ : void 0;
      sftp.write(
        handle,
        buffer,
        offset,
        length,
        position,
        (writeErr, written) => {
          if (writeErr)
            return sftp.close(handle, () => {
              callback && callback(writeErr);
            });
          written === length ? sftp.close(handle, callback) : (offset += written, length -= written, position += written, writeAll(sftp, handle, buffer, offset, length, position, callback));
        }
      );
    }
    var Stats = class {
      constructor(initial) {
        this.mode = initial && initial.mode, this.uid = initial && initial.uid, this.gid = initial && initial.gid, this.size = initial && initial.size, this.atime = initial && initial.atime, this.mtime = initial && initial.mtime, this.extended = initial && initial.extended;
      }
      isDirectory() {
        return (this.mode & constants.S_IFMT) === constants.S_IFDIR;
      }
      isFile() {
        return (this.mode & constants.S_IFMT) === constants.S_IFREG;
      }
      isBlockDevice() {
        return (this.mode & constants.S_IFMT) === constants.S_IFBLK;
      }
      isCharacterDevice() {
        return (this.mode & constants.S_IFMT) === constants.S_IFCHR;
      }
      isSymbolicLink() {
        return (this.mode & constants.S_IFMT) === constants.S_IFLNK;
      }
      isFIFO() {
        return (this.mode & constants.S_IFMT) === constants.S_IFIFO;
      }
      isSocket() {
        return (this.mode & constants.S_IFMT) === constants.S_IFSOCK;
      }
    };
    function attrsToBytes(attrs) {
      let flags = 0, nb = 0;
      if (typeof attrs == "object" && attrs !== null) {
        if (typeof attrs.size == "number") {
          flags |= ATTR.SIZE;
          let val = attrs.size;
          ATTRS_BUF[nb++] = val / 72057594037927940, ATTRS_BUF[nb++] = val / 281474976710656, ATTRS_BUF[nb++] = val / 1099511627776, ATTRS_BUF[nb++] = val / 4294967296, ATTRS_BUF[nb++] = val / 16777216, ATTRS_BUF[nb++] = val / 65536, ATTRS_BUF[nb++] = val / 256, ATTRS_BUF[nb++] = val;
        }
        if (typeof attrs.uid == "number" && typeof attrs.gid == "number") {
          flags |= ATTR.UIDGID;
          let uid = attrs.uid, gid = attrs.gid;
          ATTRS_BUF[nb++] = uid >>> 24, ATTRS_BUF[nb++] = uid >>> 16, ATTRS_BUF[nb++] = uid >>> 8, ATTRS_BUF[nb++] = uid, ATTRS_BUF[nb++] = gid >>> 24, ATTRS_BUF[nb++] = gid >>> 16, ATTRS_BUF[nb++] = gid >>> 8, ATTRS_BUF[nb++] = gid;
        }
        if (typeof attrs.mode == "number" || typeof attrs.mode == "string") {
          let mode = modeNum(attrs.mode);
          flags |= ATTR.PERMISSIONS, ATTRS_BUF[nb++] = mode >>> 24, ATTRS_BUF[nb++] = mode >>> 16, ATTRS_BUF[nb++] = mode >>> 8, ATTRS_BUF[nb++] = mode;
        }
        if ((typeof attrs.atime == "number" || isDate(attrs.atime)) && (typeof attrs.mtime == "number" || isDate(attrs.mtime))) {
          let atime = toUnixTimestamp(attrs.atime), mtime = toUnixTimestamp(attrs.mtime);
          flags |= ATTR.ACMODTIME, ATTRS_BUF[nb++] = atime >>> 24, ATTRS_BUF[nb++] = atime >>> 16, ATTRS_BUF[nb++] = atime >>> 8, ATTRS_BUF[nb++] = atime, ATTRS_BUF[nb++] = mtime >>> 24, ATTRS_BUF[nb++] = mtime >>> 16, ATTRS_BUF[nb++] = mtime >>> 8, ATTRS_BUF[nb++] = mtime;
        }
      }
      return { flags, nb };
    }
    function toUnixTimestamp(time) {
      if (typeof time == "number" && time === time)
        return time;
      if (isDate(time))
        return parseInt(time.getTime() / 1e3, 10);
      throw new Error(`Cannot parse time: ${time}`);
    }
    function modeNum(mode) {
      if (typeof mode == "number" && mode === mode)
        return mode;
      if (typeof mode == "string")
        return modeNum(parseInt(mode, 8));
      throw new Error(`Cannot parse mode: ${mode}`);
    }
    var stringFlagMap = {
      r: OPEN_MODE.READ,
      "r+": OPEN_MODE.READ | OPEN_MODE.WRITE,
      w: OPEN_MODE.TRUNC | OPEN_MODE.CREAT | OPEN_MODE.WRITE,
      wx: OPEN_MODE.TRUNC | OPEN_MODE.CREAT | OPEN_MODE.WRITE | OPEN_MODE.EXCL,
      xw: OPEN_MODE.TRUNC | OPEN_MODE.CREAT | OPEN_MODE.WRITE | OPEN_MODE.EXCL,
      "w+": OPEN_MODE.TRUNC | OPEN_MODE.CREAT | OPEN_MODE.READ | OPEN_MODE.WRITE,
      "wx+": OPEN_MODE.TRUNC | OPEN_MODE.CREAT | OPEN_MODE.READ | OPEN_MODE.WRITE | OPEN_MODE.EXCL,
      "xw+": OPEN_MODE.TRUNC | OPEN_MODE.CREAT | OPEN_MODE.READ | OPEN_MODE.WRITE | OPEN_MODE.EXCL,
      a: OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.WRITE,
      ax: OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.WRITE | OPEN_MODE.EXCL,
      xa: OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.WRITE | OPEN_MODE.EXCL,
      "a+": OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.READ | OPEN_MODE.WRITE,
      "ax+": OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.READ | OPEN_MODE.WRITE | OPEN_MODE.EXCL,
      "xa+": OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.READ | OPEN_MODE.WRITE | OPEN_MODE.EXCL
    };
    function stringToFlags(str) {
      let flags = stringFlagMap[str];
      return flags !== void 0 ? flags : null;
    }
    var flagsToString = (() => {
      let stringFlagMapKeys = Object.keys(stringFlagMap);
      return (flags) => {
        for (let i = 0; i < stringFlagMapKeys.length; ++i) {
          let key = stringFlagMapKeys[i];
          if (stringFlagMap[key] === flags)
            return key;
        }
        return null;
      };
    })();
    function readAttrs(biOpt) {
      let flags = bufferParser.readUInt32BE();
      if (flags === void 0)
        return;
      let attrs = new Stats();
      if (flags & ATTR.SIZE) {
        let size = bufferParser.readUInt64BE(biOpt);
        if (size === void 0)
          return;
        attrs.size = size;
      }
      if (flags & ATTR.UIDGID) {
        let uid = bufferParser.readUInt32BE(), gid = bufferParser.readUInt32BE();
        if (gid === void 0)
          return;
        attrs.uid = uid, attrs.gid = gid;
      }
      if (flags & ATTR.PERMISSIONS) {
        let mode = bufferParser.readUInt32BE();
        if (mode === void 0)
          return;
        attrs.mode = mode;
      }
      if (flags & ATTR.ACMODTIME) {
        let atime = bufferParser.readUInt32BE(), mtime = bufferParser.readUInt32BE();
        if (mtime === void 0)
          return;
        attrs.atime = atime, attrs.mtime = mtime;
      }
      if (flags & ATTR.EXTENDED) {
        let count = bufferParser.readUInt32BE();
        if (count === void 0)
          return;
        let extended = {};
        for (let i = 0; i < count; ++i) {
          let type = bufferParser.readString(!0), data = bufferParser.readString();
          if (data === void 0)
            return;
          extended[type] = data;
        }
        attrs.extended = extended;
      }
      return attrs;
    }
    function sendOrBuffer(sftp, payload) {
      let ret = tryWritePayload(sftp, payload);
      return ret !== void 0 ? (sftp._buffer.push(ret), !1) : !0;
    }
    function tryWritePayload(sftp, payload) {
      let outgoing = sftp.outgoing;
      if (outgoing.state !== "open")
        return;
      if (outgoing.window === 0)
        return sftp._waitWindow = !0, sftp._chunkcb = drainBuffer, payload;
      let ret, len = payload.length, p = 0;
      for (; len - p > 0 && outgoing.window > 0; ) {
        let actualLen = Math.min(len - p, outgoing.window, outgoing.packetSize);
        outgoing.window -= actualLen, outgoing.window === 0 && (sftp._waitWindow = !0, sftp._chunkcb = drainBuffer), p === 0 && actualLen === len ? sftp._protocol.channelData(sftp.outgoing.id, payload) : sftp._protocol.channelData(
          sftp.outgoing.id,
          bufferSlice(payload, p, p + actualLen)
        ), p += actualLen;
      }
      return len - p > 0 && (p > 0 ? ret = bufferSlice(payload, p, len) : ret = payload), ret;
    }
    function drainBuffer() {
      this._chunkcb = void 0;
      let buffer = this._buffer, i = 0;
      for (; i < buffer.length; ) {
        let payload = buffer[i], ret = tryWritePayload(this, payload);
        if (ret !== void 0) {
          ret !== payload && (buffer[i] = ret), i > 0 && (this._buffer = buffer.slice(i));
          return;
        }
        ++i;
      }
      i > 0 && (this._buffer = []);
    }
    function doFatalSFTPError(sftp, msg, noDebug) {
      let err = new Error(msg);
      return err.level = "sftp-protocol", !noDebug && sftp._debug && sftp._debug(`SFTP: Inbound: ${msg}`), sftp.emit("error", err), sftp.destroy(), cleanupRequests(sftp), !1;
    }
    function cleanupRequests(sftp) {
      let keys = Object.keys(sftp._requests);
      if (keys.length === 0)
        return;
      let reqs = sftp._requests;
      sftp._requests = {};
      let err = new Error("No response from server");
      for (let i = 0; i < keys.length; ++i) {
        let req = reqs[keys[i]];
        typeof req.cb == "function" && req.cb(err);
      }
    }
    function requestLimits(sftp, cb) {
      let p = 9, buf = Buffer.allocUnsafe(31);
      writeUInt32BE(buf, buf.length - 4, 0), buf[4] = REQUEST.EXTENDED;
      let reqid = sftp._writeReqid = sftp._writeReqid + 1 & MAX_REQID;
      writeUInt32BE(buf, reqid, 5), writeUInt32BE(buf, 18, p), buf.utf8Write("limits@openssh.com", p += 4, 18), sftp._requests[reqid] = { extended: "limits@openssh.com", cb };
      let isBuffered = sendOrBuffer(sftp, buf);
      if (sftp._debug) {
        let which = isBuffered ? "Buffered" : "Sending";
        sftp._debug(`SFTP: Outbound: ${which} limits@openssh.com`);
      }
    }
    var CLIENT_HANDLERS = {
      [RESPONSE.VERSION]: (sftp, payload) => {
        if (sftp._version !== -1)
          return doFatalSFTPError(sftp, "Duplicate VERSION packet");
        let extensions = {};
        bufferParser.init(payload, 1);
        let version = bufferParser.readUInt32BE();
        for (; bufferParser.avail(); ) {
          let extName = bufferParser.readString(!0), extData = bufferParser.readString(!0);
          if (extData === void 0) {
            version = void 0;
            break;
          }
          extensions[extName] = extData;
        }
        if (bufferParser.clear(), version === void 0)
          return doFatalSFTPError(sftp, "Malformed VERSION packet");
        if (sftp._debug) {
          let names = Object.keys(extensions);
          names.length ? sftp._debug(
            `SFTP: Inbound: Received VERSION (v${version}, exts:${names})`
          ) : sftp._debug(`SFTP: Inbound: Received VERSION (v${version})`);
        }
        if (sftp._version = version, sftp._extensions = extensions, extensions["limits@openssh.com"] === "1")
          return requestLimits(sftp, (err, limits) => {
            err || (limits.maxPktLen > 0 && (sftp._maxOutPktLen = limits.maxPktLen), limits.maxReadLen > 0 && (sftp._maxReadLen = limits.maxReadLen), limits.maxWriteLen > 0 && (sftp._maxWriteLen = limits.maxWriteLen), sftp.maxOpenHandles = limits.maxOpenHandles > 0 ? limits.maxOpenHandles : 1 / 0), sftp.emit("ready");
          });
        sftp.emit("ready");
      },
      [RESPONSE.STATUS]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), errorCode = bufferParser.readUInt32BE(), errorMsg = bufferParser.readString(!0);
        if (bufferParser.clear(), sftp._debug) {
          let jsonMsg = JSON.stringify(errorMsg);
          sftp._debug(
            `SFTP: Inbound: Received STATUS (id:${reqID}, ${errorCode}, ${jsonMsg})`
          );
        }
        let req = sftp._requests[reqID];
        if (delete sftp._requests[reqID], req && typeof req.cb == "function") {
          if (errorCode === STATUS_CODE.OK) {
            req.cb();
            return;
          }
          let err = new Error(errorMsg || STATUS_CODE_STR[errorCode] || "Unknown status");
          err.code = errorCode, req.cb(err);
        }
      },
      [RESPONSE.HANDLE]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), handle = bufferParser.readString();
        if (bufferParser.clear(), handle === void 0)
          return reqID !== void 0 && delete sftp._requests[reqID], doFatalSFTPError(sftp, "Malformed HANDLE packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received HANDLE (id:${reqID})`);
        let req = sftp._requests[reqID];
        delete sftp._requests[reqID], req && typeof req.cb == "function" && req.cb(void 0, handle);
      },
      [RESPONSE.DATA]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), req;
        if (reqID !== void 0 && (req = sftp._requests[reqID], delete sftp._requests[reqID]), req && typeof req.cb == "function")
          if (req.buffer) {
            let nb = bufferParser.readString(req.buffer);
            if (bufferParser.clear(), nb !== void 0) {
              sftp._debug && sftp._debug(
                `SFTP: Inbound: Received DATA (id:${reqID}, ${nb})`
              ), req.cb(void 0, req.buffer, nb);
              return;
            }
          } else {
            let data = bufferParser.readString();
            if (bufferParser.clear(), data !== void 0) {
              sftp._debug && sftp._debug(
                `SFTP: Inbound: Received DATA (id:${reqID}, ${data.length})`
              ), req.cb(void 0, data);
              return;
            }
          }
        else {
          let nb = bufferParser.skipString();
          if (bufferParser.clear(), nb !== void 0) {
            sftp._debug && sftp._debug(
              `SFTP: Inbound: Received DATA (id:${reqID}, ${nb})`
            );
            return;
          }
        }
        return doFatalSFTPError(sftp, "Malformed DATA packet");
      },
      [RESPONSE.NAME]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), req;
        reqID !== void 0 && (req = sftp._requests[reqID], delete sftp._requests[reqID]);
        let count = bufferParser.readUInt32BE();
        if (count !== void 0) {
          let names = [];
          for (let i = 0; i < count; ++i) {
            let filename = bufferParser.readString(!0), longname = bufferParser.readString(!0), attrs = readAttrs(sftp._biOpt);
            if (attrs === void 0) {
              names = void 0;
              break;
            }
            names.push({ filename, longname, attrs });
          }
          if (names !== void 0) {
            sftp._debug && sftp._debug(
              `SFTP: Inbound: Received NAME (id:${reqID}, ${names.length})`
            ), bufferParser.clear(), req && typeof req.cb == "function" && req.cb(void 0, names);
            return;
          }
        }
        return bufferParser.clear(), doFatalSFTPError(sftp, "Malformed NAME packet");
      },
      [RESPONSE.ATTRS]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), req;
        reqID !== void 0 && (req = sftp._requests[reqID], delete sftp._requests[reqID]);
        let attrs = readAttrs(sftp._biOpt);
        if (bufferParser.clear(), attrs !== void 0) {
          sftp._debug && sftp._debug(`SFTP: Inbound: Received ATTRS (id:${reqID})`), req && typeof req.cb == "function" && req.cb(void 0, attrs);
          return;
        }
        return doFatalSFTPError(sftp, "Malformed ATTRS packet");
      },
      [RESPONSE.EXTENDED]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE();
        if (reqID !== void 0) {
          let req = sftp._requests[reqID];
          if (req)
            switch (delete sftp._requests[reqID], req.extended) {
              case "statvfs@openssh.com":
              case "fstatvfs@openssh.com": {
                let biOpt = sftp._biOpt, stats = {
                  f_bsize: bufferParser.readUInt64BE(biOpt),
                  f_frsize: bufferParser.readUInt64BE(biOpt),
                  f_blocks: bufferParser.readUInt64BE(biOpt),
                  f_bfree: bufferParser.readUInt64BE(biOpt),
                  f_bavail: bufferParser.readUInt64BE(biOpt),
                  f_files: bufferParser.readUInt64BE(biOpt),
                  f_ffree: bufferParser.readUInt64BE(biOpt),
                  f_favail: bufferParser.readUInt64BE(biOpt),
                  f_sid: bufferParser.readUInt64BE(biOpt),
                  f_flag: bufferParser.readUInt64BE(biOpt),
                  f_namemax: bufferParser.readUInt64BE(biOpt)
                };
                if (stats.f_namemax === void 0)
                  break;
                sftp._debug && sftp._debug(
                  `SFTP: Inbound: Received EXTENDED_REPLY (id:${reqID}, ${req.extended})`
                ), bufferParser.clear(), typeof req.cb == "function" && req.cb(void 0, stats);
                return;
              }
              case "limits@openssh.com": {
                let limits = {
                  maxPktLen: bufferParser.readUInt64BE(),
                  maxReadLen: bufferParser.readUInt64BE(),
                  maxWriteLen: bufferParser.readUInt64BE(),
                  maxOpenHandles: bufferParser.readUInt64BE()
                };
                if (limits.maxOpenHandles === void 0)
                  break;
                sftp._debug && sftp._debug(
                  `SFTP: Inbound: Received EXTENDED_REPLY (id:${reqID}, ${req.extended})`
                ), bufferParser.clear(), typeof req.cb == "function" && req.cb(void 0, limits);
                return;
              }
              case "users-groups-by-id@openssh.com": {
                let usernameCount = bufferParser.readUInt32BE();
                if (usernameCount === void 0)
                  break;
                let usernames = new Array(usernameCount);
                for (let i = 0; i < usernames.length; ++i)
                  usernames[i] = bufferParser.readString(!0);
                let groupnameCount = bufferParser.readUInt32BE();
                if (groupnameCount === void 0)
                  break;
                let groupnames = new Array(groupnameCount);
                for (let i = 0; i < groupnames.length; ++i)
                  groupnames[i] = bufferParser.readString(!0);
                if (groupnames.length > 0 && groupnames[groupnames.length - 1] === void 0)
                  break;
                sftp._debug && sftp._debug(
                  `SFTP: Inbound: Received EXTENDED_REPLY (id:${reqID}, ${req.extended})`
                ), bufferParser.clear(), typeof req.cb == "function" && req.cb(void 0, usernames, groupnames);
                return;
              }
              default:
                sftp._debug && sftp._debug(
                  `SFTP: Inbound: Received EXTENDED_REPLY (id:${reqID}, ???)`
                ), bufferParser.clear(), typeof req.cb == "function" && req.cb();
                return;
            }
          else {
            sftp._debug && sftp._debug(
              `SFTP: Inbound: Received EXTENDED_REPLY (id:${reqID}, ???)`
            ), bufferParser.clear();
            return;
          }
        }
        return bufferParser.clear(), doFatalSFTPError(sftp, "Malformed EXTENDED_REPLY packet");
      }
    }, SERVER_HANDLERS = {
      [REQUEST.INIT]: (sftp, payload) => {
        if (sftp._version !== -1)
          return doFatalSFTPError(sftp, "Duplicate INIT packet");
        let extensions = {};
        bufferParser.init(payload, 1);
        let version = bufferParser.readUInt32BE();
        for (; bufferParser.avail(); ) {
          let extName = bufferParser.readString(!0), extData = bufferParser.readString(!0);
          if (extData === void 0) {
            version = void 0;
            break;
          }
          extensions[extName] = extData;
        }
        if (bufferParser.clear(), version === void 0)
          return doFatalSFTPError(sftp, "Malformed INIT packet");
        if (sftp._debug) {
          let names = Object.keys(extensions);
          names.length ? sftp._debug(
            `SFTP: Inbound: Received INIT (v${version}, exts:${names})`
          ) : sftp._debug(`SFTP: Inbound: Received INIT (v${version})`);
        }
        sendOrBuffer(sftp, SERVER_VERSION_BUFFER), sftp._version = version, sftp._extensions = extensions, sftp.emit("ready");
      },
      [REQUEST.OPEN]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), filename = bufferParser.readString(!0), pflags = bufferParser.readUInt32BE(), attrs = readAttrs(sftp._biOpt);
        if (bufferParser.clear(), attrs === void 0)
          return doFatalSFTPError(sftp, "Malformed OPEN packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received OPEN (id:${reqID})`), sftp.emit("OPEN", reqID, filename, pflags, attrs) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.CLOSE]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), handle = bufferParser.readString();
        if (bufferParser.clear(), handle === void 0 || handle.length > 256)
          return doFatalSFTPError(sftp, "Malformed CLOSE packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received CLOSE (id:${reqID})`), sftp.emit("CLOSE", reqID, handle) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.READ]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), handle = bufferParser.readString(), offset = bufferParser.readUInt64BE(sftp._biOpt), len = bufferParser.readUInt32BE();
        if (bufferParser.clear(), len === void 0 || handle.length > 256)
          return doFatalSFTPError(sftp, "Malformed READ packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received READ (id:${reqID})`), sftp.emit("READ", reqID, handle, offset, len) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.WRITE]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), handle = bufferParser.readString(), offset = bufferParser.readUInt64BE(sftp._biOpt), data = bufferParser.readString();
        if (bufferParser.clear(), data === void 0 || handle.length > 256)
          return doFatalSFTPError(sftp, "Malformed WRITE packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received WRITE (id:${reqID})`), sftp.emit("WRITE", reqID, handle, offset, data) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.LSTAT]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), path = bufferParser.readString(!0);
        if (bufferParser.clear(), path === void 0)
          return doFatalSFTPError(sftp, "Malformed LSTAT packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received LSTAT (id:${reqID})`), sftp.emit("LSTAT", reqID, path) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.FSTAT]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), handle = bufferParser.readString();
        if (bufferParser.clear(), handle === void 0 || handle.length > 256)
          return doFatalSFTPError(sftp, "Malformed FSTAT packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received FSTAT (id:${reqID})`), sftp.emit("FSTAT", reqID, handle) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.SETSTAT]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), path = bufferParser.readString(!0), attrs = readAttrs(sftp._biOpt);
        if (bufferParser.clear(), attrs === void 0)
          return doFatalSFTPError(sftp, "Malformed SETSTAT packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received SETSTAT (id:${reqID})`), sftp.emit("SETSTAT", reqID, path, attrs) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.FSETSTAT]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), handle = bufferParser.readString(), attrs = readAttrs(sftp._biOpt);
        if (bufferParser.clear(), attrs === void 0 || handle.length > 256)
          return doFatalSFTPError(sftp, "Malformed FSETSTAT packet");
        sftp._debug && sftp._debug(
          `SFTP: Inbound: Received FSETSTAT (id:${reqID})`
        ), sftp.emit("FSETSTAT", reqID, handle, attrs) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.OPENDIR]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), path = bufferParser.readString(!0);
        if (bufferParser.clear(), path === void 0)
          return doFatalSFTPError(sftp, "Malformed OPENDIR packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received OPENDIR (id:${reqID})`), sftp.emit("OPENDIR", reqID, path) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.READDIR]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), handle = bufferParser.readString();
        if (bufferParser.clear(), handle === void 0 || handle.length > 256)
          return doFatalSFTPError(sftp, "Malformed READDIR packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received READDIR (id:${reqID})`), sftp.emit("READDIR", reqID, handle) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.REMOVE]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), path = bufferParser.readString(!0);
        if (bufferParser.clear(), path === void 0)
          return doFatalSFTPError(sftp, "Malformed REMOVE packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received REMOVE (id:${reqID})`), sftp.emit("REMOVE", reqID, path) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.MKDIR]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), path = bufferParser.readString(!0), attrs = readAttrs(sftp._biOpt);
        if (bufferParser.clear(), attrs === void 0)
          return doFatalSFTPError(sftp, "Malformed MKDIR packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received MKDIR (id:${reqID})`), sftp.emit("MKDIR", reqID, path, attrs) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.RMDIR]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), path = bufferParser.readString(!0);
        if (bufferParser.clear(), path === void 0)
          return doFatalSFTPError(sftp, "Malformed RMDIR packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received RMDIR (id:${reqID})`), sftp.emit("RMDIR", reqID, path) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.REALPATH]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), path = bufferParser.readString(!0);
        if (bufferParser.clear(), path === void 0)
          return doFatalSFTPError(sftp, "Malformed REALPATH packet");
        sftp._debug && sftp._debug(
          `SFTP: Inbound: Received REALPATH (id:${reqID})`
        ), sftp.emit("REALPATH", reqID, path) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.STAT]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), path = bufferParser.readString(!0);
        if (bufferParser.clear(), path === void 0)
          return doFatalSFTPError(sftp, "Malformed STAT packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received STAT (id:${reqID})`), sftp.emit("STAT", reqID, path) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.RENAME]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), oldPath = bufferParser.readString(!0), newPath = bufferParser.readString(!0);
        if (bufferParser.clear(), newPath === void 0)
          return doFatalSFTPError(sftp, "Malformed RENAME packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received RENAME (id:${reqID})`), sftp.emit("RENAME", reqID, oldPath, newPath) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.READLINK]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), path = bufferParser.readString(!0);
        if (bufferParser.clear(), path === void 0)
          return doFatalSFTPError(sftp, "Malformed READLINK packet");
        sftp._debug && sftp._debug(
          `SFTP: Inbound: Received READLINK (id:${reqID})`
        ), sftp.emit("READLINK", reqID, path) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.SYMLINK]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), linkPath = bufferParser.readString(!0), targetPath = bufferParser.readString(!0);
        if (bufferParser.clear(), targetPath === void 0)
          return doFatalSFTPError(sftp, "Malformed SYMLINK packet");
        sftp._debug && sftp._debug(`SFTP: Inbound: Received SYMLINK (id:${reqID})`);
        let handled;
        sftp._isOpenSSH ? handled = sftp.emit("SYMLINK", reqID, targetPath, linkPath) : handled = sftp.emit("SYMLINK", reqID, linkPath, targetPath), handled || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      },
      [REQUEST.EXTENDED]: (sftp, payload) => {
        bufferParser.init(payload, 1);
        let reqID = bufferParser.readUInt32BE(), extName = bufferParser.readString(!0);
        if (extName === void 0)
          return bufferParser.clear(), doFatalSFTPError(sftp, "Malformed EXTENDED packet");
        let extData;
        bufferParser.avail() && (extData = bufferParser.readRaw()), bufferParser.clear(), sftp._debug && sftp._debug(
          `SFTP: Inbound: Received EXTENDED (id:${reqID})`
        ), sftp.emit("EXTENDED", reqID, extName, extData) || sftp.status(reqID, STATUS_CODE.OP_UNSUPPORTED);
      }
    }, {
      ERR_INVALID_ARG_TYPE,
      ERR_OUT_OF_RANGE,
      validateNumber
    } = require_node_fs_compat(), kMinPoolSpace = 128, pool, poolFragments = [];
    function allocNewPool(poolSize) {
      poolFragments.length > 0 ? pool = poolFragments.pop() : pool = Buffer.allocUnsafe(poolSize), pool.used = 0;
    }
    function checkPosition(pos, name) {
      if (!Number.isSafeInteger(pos))
        throw validateNumber(pos, name), Number.isInteger(pos) ? new ERR_OUT_OF_RANGE(name, ">= 0 and <= 2 ** 53 - 1", pos) : new ERR_OUT_OF_RANGE(name, "an integer", pos);
      if (pos < 0)
        throw new ERR_OUT_OF_RANGE(name, ">= 0 and <= 2 ** 53 - 1", pos);
    }
    function roundUpToMultipleOf8(n) {
      return n + 7 & -8;
    }
    function ReadStream(sftp, path, options) {
      if (options === void 0)
        options = {};
      else if (typeof options == "string")
        options = { encoding: options };
      else {
        if (options === null || typeof options != "object")
          throw new TypeError('"options" argument must be a string or an object');
        options = Object.create(options);
      }
      if (options.highWaterMark === void 0 && (options.highWaterMark = 64 * 1024), options.emitClose = !1, options.autoDestroy = !1, ReadableStream.call(this, options), this.path = path, this.flags = options.flags === void 0 ? "r" : options.flags, this.mode = options.mode === void 0 ? 438 : options.mode, this.start = options.start, this.end = options.end, this.autoClose = options.autoClose === void 0 ? !0 : options.autoClose, this.pos = 0, this.bytesRead = 0, this.isClosed = !1, this.handle = options.handle === void 0 ? null : options.handle, this.sftp = sftp, this._opening = !1, this.start !== void 0 && (checkPosition(this.start, "start"), this.pos = this.start), this.end === void 0)
        this.end = 1 / 0;
      else if (this.end !== 1 / 0 && (checkPosition(this.end, "end"), this.start !== void 0 && this.start > this.end))
        throw new ERR_OUT_OF_RANGE(
          "start",
          `<= "end" (here: ${this.end})`,
          this.start
        );
      this.on("end", function() {
        this.autoClose && this.destroy();
      }), Buffer.isBuffer(this.handle) || this.open();
    }
    inherits(ReadStream, ReadableStream);
    ReadStream.prototype.open = function() {
      this._opening || (this._opening = !0, this.sftp.open(this.path, this.flags, this.mode, (er, handle) => {
        if (this._opening = !1, er) {
          this.emit("error", er), this.autoClose && this.destroy();
          return;
        }
        this.handle = handle, this.emit("open", handle), this.emit("ready"), this.read();
      }));
    };
    ReadStream.prototype._read = function(n) {
      if (!Buffer.isBuffer(this.handle))
        return this.once("open", () => this._read(n));
      if (this.destroyed)
        return;
      (!pool || pool.length - pool.used < kMinPoolSpace) && allocNewPool(this.readableHighWaterMark || this._readableState.highWaterMark);
      let thisPool = pool, toRead = Math.min(pool.length - pool.used, n), start = pool.used;
      if (this.end !== void 0 && (toRead = Math.min(this.end - this.pos + 1, toRead)), toRead <= 0)
        return this.push(null);
      this.sftp.read(
        this.handle,
        pool,
        pool.used,
        toRead,
        this.pos,
        (er, bytesRead) => {
          if (er) {
            this.emit("error", er), this.autoClose && this.destroy();
            return;
          }
          let b = null;
          if (start + toRead === thisPool.used && thisPool === pool)
            thisPool.used = roundUpToMultipleOf8(thisPool.used + bytesRead - toRead);
          else {
            let alignedEnd = start + toRead & -8, alignedStart = roundUpToMultipleOf8(start + bytesRead);
            alignedEnd - alignedStart >= kMinPoolSpace && poolFragments.push(thisPool.slice(alignedStart, alignedEnd));
          }
          bytesRead > 0 && (this.bytesRead += bytesRead, b = thisPool.slice(start, start + bytesRead)), this.pos += bytesRead, this.push(b);
        }
      ), pool.used = roundUpToMultipleOf8(pool.used + toRead);
    };
    ReadStream.prototype._destroy = function(err, cb) {
      if (this._opening && !Buffer.isBuffer(this.handle)) {
        this.once("open", closeStream.bind(null, this, cb, err));
        return;
      }
      closeStream(this, cb, err), this.handle = null, this._opening = !1;
    };
    function closeStream(stream, cb, err) {
      if (!stream.handle)
        return onclose();
      stream.sftp.close(stream.handle, onclose);
      function onclose(er) {
        er = er || err, cb(er), stream.isClosed = !0, er || stream.emit("close");
      }
    }
    ReadStream.prototype.close = function(cb) {
      this.destroy(null, cb);
    };
    Object.defineProperty(ReadStream.prototype, "pending", {
      get() {
        return this.handle === null;
      },
      configurable: !0
    });
    function WriteStream(sftp, path, options) {
      if (options === void 0)
        options = {};
      else if (typeof options == "string")
        options = { encoding: options };
      else {
        if (options === null || typeof options != "object")
          throw new TypeError('"options" argument must be a string or an object');
        options = Object.create(options);
      }
      options.emitClose = !1, options.autoDestroy = !1, WritableStream.call(this, options), this.path = path, this.flags = options.flags === void 0 ? "w" : options.flags, this.mode = options.mode === void 0 ? 438 : options.mode, this.start = options.start, this.autoClose = options.autoClose === void 0 ? !0 : options.autoClose, this.pos = 0, this.bytesWritten = 0, this.isClosed = !1, this.handle = options.handle === void 0 ? null : options.handle, this.sftp = sftp, this._opening = !1, this.start !== void 0 && (checkPosition(this.start, "start"), this.pos = this.start), options.encoding && this.setDefaultEncoding(options.encoding), this.on("finish", function() {
        this._writableState.finalCalled || this.autoClose && this.destroy();
      }), Buffer.isBuffer(this.handle) || this.open();
    }
    inherits(WriteStream, WritableStream);
    WriteStream.prototype._final = function(cb) {
      this.autoClose && this.destroy(), cb();
    };
    WriteStream.prototype.open = function() {
      this._opening || (this._opening = !0, this.sftp.open(this.path, this.flags, this.mode, (er, handle) => {
        if (this._opening = !1, er) {
          this.emit("error", er), this.autoClose && this.destroy();
          return;
        }
        this.handle = handle;
        let tryAgain = (err) => {
          if (err) {
            this.sftp.chmod(this.path, this.mode, (err_) => tryAgain());
            return;
          }
          if (this.flags[0] === "a") {
            let tryStat = (err2, st) => {
              if (err2) {
                this.sftp.stat(this.path, (err_, st_) => {
                  if (err_) {
                    this.destroy(), this.emit("error", err2);
                    return;
                  }
                  tryStat(null, st_);
                });
                return;
              }
              this.pos = st.size, this.emit("open", handle), this.emit("ready");
            };
            this.sftp.fstat(handle, tryStat);
            return;
          }
          this.emit("open", handle), this.emit("ready");
        };
        this.sftp.fchmod(handle, this.mode, tryAgain);
      }));
    };
    WriteStream.prototype._write = function(data, encoding, cb) {
      if (!Buffer.isBuffer(data)) {
        let err = new ERR_INVALID_ARG_TYPE("data", "Buffer", data);
        return this.emit("error", err);
      }
      if (!Buffer.isBuffer(this.handle))
        return this.once("open", function() {
          this._write(data, encoding, cb);
        });
      this.sftp.write(
        this.handle,
        data,
        0,
        data.length,
        this.pos,
        (er, bytes) => {
          if (er)
            return this.autoClose && this.destroy(), cb(er);
          this.bytesWritten += bytes, cb();
        }
      ), this.pos += data.length;
    };
    WriteStream.prototype._writev = function(data, cb) {
      if (!Buffer.isBuffer(this.handle))
        return this.once("open", function() {
          this._writev(data, cb);
        });
      let sftp = this.sftp, handle = this.handle, writesLeft = data.length, onwrite = (er, bytes) => {
        if (er)
          return this.destroy(), cb(er);
        this.bytesWritten += bytes, --writesLeft === 0 && cb();
      };
      for (let i = 0; i < data.length; ++i) {
        let chunk = data[i].chunk;
        sftp.write(handle, chunk, 0, chunk.length, this.pos, onwrite), this.pos += chunk.length;
      }
    };
    typeof WritableStream.prototype.destroy != "function" && (WriteStream.prototype.destroy = ReadStream.prototype.destroy);
    WriteStream.prototype._destroy = ReadStream.prototype._destroy;
    WriteStream.prototype.close = function(cb) {
      if (cb) {
        if (this.isClosed) {
          process.nextTick(cb);
          return;
        }
        this.on("close", cb);
      }
      this.autoClose || this.on("finish", this.destroy.bind(this)), this.end();
    };
    WriteStream.prototype.destroySoon = WriteStream.prototype.end;
    Object.defineProperty(WriteStream.prototype, "pending", {
      get() {
        return this.handle === null;
      },
      configurable: !0
    });
    module.exports = {
      flagsToString,
      OPEN_MODE,
      SFTP,
      Stats,
      STATUS_CODE,
      stringToFlags
    };
  }
});

// node_modules/ssh2/lib/Channel.js
var require_Channel = __commonJS({
  "node_modules/ssh2/lib/Channel.js"(exports, module) {
    "use strict";
    var {
      Duplex: DuplexStream,
      Readable: ReadableStream,
      Writable: WritableStream
    } = __require("stream"), {
      CHANNEL_EXTENDED_DATATYPE: { STDERR }
    } = require_constants(), { bufferSlice } = require_utils(), PACKET_SIZE = 32 * 1024, MAX_WINDOW = 2 * 1024 * 1024, WINDOW_THRESHOLD = MAX_WINDOW / 2, ClientStderr = class extends ReadableStream {
      constructor(channel, streamOpts) {
        super(streamOpts), this._channel = channel;
      }
      _read(n) {
        this._channel._waitChanDrain && (this._channel._waitChanDrain = !1, this._channel.incoming.window <= WINDOW_THRESHOLD && windowAdjust(this._channel));
      }
    }, ServerStderr = class extends WritableStream {
      constructor(channel) {
        super({ highWaterMark: MAX_WINDOW }), this._channel = channel;
      }
      _write(data, encoding, cb) {
        let channel = this._channel, protocol = channel._client._protocol, outgoing = channel.outgoing, packetSize = outgoing.packetSize, id = outgoing.id, window2 = outgoing.window, len = data.length, p = 0;
        if (outgoing.state === "open") {
          for (; len - p > 0 && window2 > 0; ) {
            let sliceLen = len - p;
            sliceLen > window2 && (sliceLen = window2), sliceLen > packetSize && (sliceLen = packetSize), p === 0 && sliceLen === len ? protocol.channelExtData(id, data, STDERR) : protocol.channelExtData(id, bufferSlice(data, p, p + sliceLen), STDERR), p += sliceLen, window2 -= sliceLen;
          }
          if (outgoing.window = window2, len - p > 0) {
            window2 === 0 && (channel._waitWindow = !0), p > 0 ? channel._chunkErr = bufferSlice(data, p, len) : channel._chunkErr = data, channel._chunkcbErr = cb;
            return;
          }
          cb();
        }
      }
    }, Channel = class extends DuplexStream {
      constructor(client, info, opts) {
        let streamOpts = {
          highWaterMark: MAX_WINDOW,
          allowHalfOpen: !opts || opts && opts.allowHalfOpen !== !1,
          emitClose: !1
        };
        super(streamOpts), this.allowHalfOpen = streamOpts.allowHalfOpen;
        let server = !!(opts && opts.server);
        this.server = server, this.type = info.type, this.subtype = void 0, this.incoming = info.incoming, this.outgoing = info.outgoing, this._callbacks = [], this._client = client, this._hasX11 = !1, this._exit = {
          code: void 0,
          signal: void 0,
          dump: void 0,
          desc: void 0
        }, this.stdin = this.stdout = this, server ? this.stderr = new ServerStderr(this) : this.stderr = new ClientStderr(this, streamOpts), this._waitWindow = !1, this._waitChanDrain = !1, this._chunk = void 0, this._chunkcb = void 0, this._chunkErr = void 0, this._chunkcbErr = void 0, this.on("finish", onFinish).on("prefinish", onFinish), this.on("end", onEnd).on("close", onEnd);
      }
      _read(n) {
        this._waitChanDrain && (this._waitChanDrain = !1, this.incoming.window <= WINDOW_THRESHOLD && windowAdjust(this));
      }
      _write(data, encoding, cb) {
        let protocol = this._client._protocol, outgoing = this.outgoing, packetSize = outgoing.packetSize, id = outgoing.id, window2 = outgoing.window, len = data.length, p = 0;
        if (outgoing.state === "open") {
          for (; len - p > 0 && window2 > 0; ) {
            let sliceLen = len - p;
            sliceLen > window2 && (sliceLen = window2), sliceLen > packetSize && (sliceLen = packetSize), p === 0 && sliceLen === len ? protocol.channelData(id, data) : protocol.channelData(id, bufferSlice(data, p, p + sliceLen)), p += sliceLen, window2 -= sliceLen;
          }
          if (outgoing.window = window2, len - p > 0) {
            window2 === 0 && (this._waitWindow = !0), p > 0 ? this._chunk = bufferSlice(data, p, len) : this._chunk = data, this._chunkcb = cb;
            return;
          }
          cb();
        }
      }
      eof() {
        this.outgoing.state === "open" && (this.outgoing.state = "eof", this._client._protocol.channelEOF(this.outgoing.id));
      }
      close() {
        (this.outgoing.state === "open" || this.outgoing.state === "eof") && (this.outgoing.state = "closing", this._client._protocol.channelClose(this.outgoing.id));
      }
      destroy() {
        return this.end(), this.close(), this;
      }
      // Session type-specific methods =============================================
      setWindow(rows, cols, height, width) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        this.type === "session" && (this.subtype === "shell" || this.subtype === "exec") && this.writable && this.outgoing.state === "open" && this._client._protocol.windowChange(
          this.outgoing.id,
          rows,
          cols,
          height,
          width
        );
      }
      signal(signalName) {
        if (this.server)
          throw new Error("Client-only method called in server mode");
        this.type === "session" && this.writable && this.outgoing.state === "open" && this._client._protocol.signal(this.outgoing.id, signalName);
      }
      exit(statusOrSignal, coreDumped, msg) {
        if (!this.server)
          throw new Error("Server-only method called in client mode");
        this.type === "session" && this.writable && this.outgoing.state === "open" && (typeof statusOrSignal == "number" ? this._client._protocol.exitStatus(this.outgoing.id, statusOrSignal) : this._client._protocol.exitSignal(
          this.outgoing.id,
          statusOrSignal,
          coreDumped,
          msg
        ));
      }
    };
    function onFinish() {
      this.eof(), (this.server || !this.allowHalfOpen) && this.close(), this.writable = !1;
    }
    function onEnd() {
      this.readable = !1;
    }
    function windowAdjust(self2) {
      if (self2.outgoing.state === "closed")
        return;
      let amt = MAX_WINDOW - self2.incoming.window;
      amt <= 0 || (self2.incoming.window += amt, self2._client._protocol.channelWindowAdjust(self2.outgoing.id, amt));
    }
    module.exports = {
      Channel,
      MAX_WINDOW,
      PACKET_SIZE,
      windowAdjust,
      WINDOW_THRESHOLD
    };
  }
});

// node_modules/ssh2/lib/utils.js
var require_utils2 = __commonJS({
  "node_modules/ssh2/lib/utils.js"(exports, module) {
    "use strict";
    var { SFTP } = require_SFTP(), MAX_CHANNEL = 2 ** 32 - 1;
    function onChannelOpenFailure(self2, recipient, info, cb) {
      if (self2._chanMgr.remove(recipient), typeof cb != "function")
        return;
      let err;
      info instanceof Error ? err = info : typeof info == "object" && info !== null ? (err = new Error(`(SSH) Channel open failure: ${info.description}`), err.reason = info.reason) : (err = new Error(
        "(SSH) Channel open failure: server closed channel unexpectedly"
      ), err.reason = ""), cb(err);
    }
    function onCHANNEL_CLOSE(self2, recipient, channel, err, dead) {
      if (typeof channel == "function") {
        onChannelOpenFailure(self2, recipient, err, channel);
        return;
      }
      if (typeof channel != "object" || channel === null || channel.incoming && channel.incoming.state === "closed" || (self2._chanMgr.remove(recipient), channel.server && channel.constructor.name === "Session"))
        return;
      channel.incoming.state = "closed", channel.readable && channel.push(null), channel.server ? channel.stderr.writable && channel.stderr.end() : channel.stderr.readable && channel.stderr.push(null), channel.constructor !== SFTP && (channel.outgoing.state === "open" || channel.outgoing.state === "eof") && !dead && channel.close(), channel.outgoing.state === "closing" && (channel.outgoing.state = "closed");
      let readState = channel._readableState, writeState = channel._writableState;
      writeState && !writeState.ending && !writeState.finished && !dead && channel.end();
      let chanCallbacks = channel._callbacks;
      channel._callbacks = [];
      for (let i = 0; i < chanCallbacks.length; ++i)
        chanCallbacks[i](!0);
      if (channel.server)
        !channel.readable || channel.destroyed || readState && readState.endEmitted ? channel.emit("close") : channel.once("end", () => channel.emit("close"));
      else {
        let doClose;
        switch (channel.type) {
          case "direct-streamlocal@openssh.com":
          case "direct-tcpip":
            doClose = () => channel.emit("close");
            break;
          default: {
            let exit = channel._exit;
            doClose = () => {
              exit.code === null ? channel.emit("close", exit.code, exit.signal, exit.dump, exit.desc) : channel.emit("close", exit.code);
            };
          }
        }
        !channel.readable || channel.destroyed || readState && readState.endEmitted ? doClose() : channel.once("end", doClose);
        let errReadState = channel.stderr._readableState;
        !channel.stderr.readable || channel.stderr.destroyed || errReadState && errReadState.endEmitted ? channel.stderr.emit("close") : channel.stderr.once("end", () => channel.stderr.emit("close"));
      }
    }
    var ChannelManager = class {
      constructor(client) {
        this._client = client, this._channels = {}, this._cur = -1, this._count = 0;
      }
      add(val) {
        let id;
        if (this._cur < MAX_CHANNEL)
          id = ++this._cur;
        else if (this._count === 0)
          this._cur = 0, id = 0;
        else {
          let channels = this._channels;
          for (let i = 0; i < MAX_CHANNEL; ++i)
            if (channels[i] === void 0) {
              id = i;
              break;
            }
        }
        return id === void 0 ? -1 : (this._channels[id] = val || !0, ++this._count, id);
      }
      update(id, val) {
        if (typeof id != "number" || id < 0 || id >= MAX_CHANNEL || !isFinite(id))
          throw new Error(`Invalid channel id: ${id}`);
        val && this._channels[id] && (this._channels[id] = val);
      }
      get(id) {
        if (typeof id != "number" || id < 0 || id >= MAX_CHANNEL || !isFinite(id))
          throw new Error(`Invalid channel id: ${id}`);
        return this._channels[id];
      }
      remove(id) {
        if (typeof id != "number" || id < 0 || id >= MAX_CHANNEL || !isFinite(id))
          throw new Error(`Invalid channel id: ${id}`);
        this._channels[id] && (delete this._channels[id], this._count && --this._count);
      }
      cleanup(err) {
        let channels = this._channels;
        this._channels = {}, this._cur = -1, this._count = 0;
        let chanIDs = Object.keys(channels), client = this._client;
        for (let i = 0; i < chanIDs.length; ++i) {
          let id = +chanIDs[i], channel = channels[id];
          onCHANNEL_CLOSE(client, id, channel._channel || channel, err, !0);
        }
      }
    }, isRegExp = /* @__PURE__ */ (() => {
      let toString = Object.prototype.toString;
      return (val) => toString.call(val) === "[object RegExp]";
    })();
    function generateAlgorithmList(algoList, defaultList, supportedList) {
      if (Array.isArray(algoList) && algoList.length > 0) {
        for (let i = 0; i < algoList.length; ++i)
          if (supportedList.indexOf(algoList[i]) === -1)
            throw new Error(`Unsupported algorithm: ${algoList[i]}`);
        return algoList;
      }
      if (typeof algoList == "object" && algoList !== null) {
        let keys = Object.keys(algoList), list = defaultList;
        for (let i = 0; i < keys.length; ++i) {
          let key = keys[i], val = algoList[key];
          switch (key) {
            case "append":
              if (Array.isArray(val) || (val = [val]), Array.isArray(val))
                for (let j = 0; j < val.length; ++j) {
                  let append = val[j];
                  if (typeof append == "string") {
                    if (!append || list.indexOf(append) !== -1)
                      continue;
                    if (supportedList.indexOf(append) === -1)
                      throw new Error(`Unsupported algorithm: ${append}`);
                    list === defaultList && (list = list.slice()), list.push(append);
                  } else if (isRegExp(append))
                    for (let k = 0; k < supportedList.length; ++k) {
                      let algo = supportedList[k];
                      if (append.test(algo)) {
                        if (list.indexOf(algo) !== -1)
                          continue;
                        list === defaultList && (list = list.slice()), list.push(algo);
                      }
                    }
                }
              break;
            case "prepend":
              if (Array.isArray(val) || (val = [val]), Array.isArray(val))
                for (let j = val.length; j >= 0; --j) {
                  let prepend = val[j];
                  if (typeof prepend == "string") {
                    if (!prepend || list.indexOf(prepend) !== -1)
                      continue;
                    if (supportedList.indexOf(prepend) === -1)
                      throw new Error(`Unsupported algorithm: ${prepend}`);
                    list === defaultList && (list = list.slice()), list.unshift(prepend);
                  } else if (isRegExp(prepend))
                    for (let k = supportedList.length; k >= 0; --k) {
                      let algo = supportedList[k];
                      if (prepend.test(algo)) {
                        if (list.indexOf(algo) !== -1)
                          continue;
                        list === defaultList && (list = list.slice()), list.unshift(algo);
                      }
                    }
                }
              break;
            case "remove":
              if (Array.isArray(val) || (val = [val]), Array.isArray(val))
                for (let j = 0; j < val.length; ++j) {
                  let search = val[j];
                  if (typeof search == "string") {
                    if (!search)
                      continue;
                    let idx = list.indexOf(search);
                    if (idx === -1)
                      continue;
                    list === defaultList && (list = list.slice()), list.splice(idx, 1);
                  } else if (isRegExp(search))
                    for (let k = 0; k < list.length; ++k)
                      search.test(list[k]) && (list === defaultList && (list = list.slice()), list.splice(k, 1), --k);
                }
              break;
          }
        }
        return list;
      }
      return defaultList;
    }
    module.exports = {
      ChannelManager,
      generateAlgorithmList,
      onChannelOpenFailure,
      onCHANNEL_CLOSE,
      isWritable: (stream) => stream && stream.writable && stream._readableState && stream._readableState.ended === !1
    };
  }
});

// node_modules/ssh2/lib/client.js
var require_client = __commonJS({
  "node_modules/ssh2/lib/client.js"(exports, module) {
    "use strict";
    var {
      createHash: createHash2,
      getHashes,
      randomFillSync
    } = __require("crypto"), { Socket } = __require("net"), { lookup: dnsLookup } = __require("dns"), EventEmitter = __require("events"), HASHES = getHashes(), {
      COMPAT,
      CHANNEL_EXTENDED_DATATYPE: { STDERR },
      CHANNEL_OPEN_FAILURE,
      DEFAULT_CIPHER,
      DEFAULT_COMPRESSION,
      DEFAULT_KEX,
      DEFAULT_MAC,
      DEFAULT_SERVER_HOST_KEY,
      DISCONNECT_REASON,
      DISCONNECT_REASON_BY_VALUE,
      SUPPORTED_CIPHER,
      SUPPORTED_COMPRESSION,
      SUPPORTED_KEX,
      SUPPORTED_MAC,
      SUPPORTED_SERVER_HOST_KEY
    } = require_constants(), { init: cryptoInit } = require_crypto(), Protocol = require_Protocol(), { parseKey } = require_keyParser(), { SFTP } = require_SFTP(), {
      bufferCopy,
      makeBufferParser,
      makeError,
      readUInt32BE,
      sigSSHToASN1,
      writeUInt32BE
    } = require_utils(), { AgentContext, createAgent, isAgent } = require_agent(), {
      Channel,
      MAX_WINDOW,
      PACKET_SIZE,
      windowAdjust,
      WINDOW_THRESHOLD
    } = require_Channel(), {
      ChannelManager,
      generateAlgorithmList,
      isWritable,
      onChannelOpenFailure,
      onCHANNEL_CLOSE
    } = require_utils2(), bufferParser = makeBufferParser(), sigParser = makeBufferParser(), RE_OPENSSH = /^OpenSSH_(?:(?![0-4])\d)|(?:\d{2,})/, noop = (err) => {
    }, Client = class extends EventEmitter {
      constructor() {
        super(), this.config = {
          host: void 0,
          port: void 0,
          localAddress: void 0,
          localPort: void 0,
          forceIPv4: void 0,
          forceIPv6: void 0,
          keepaliveCountMax: void 0,
          keepaliveInterval: void 0,
          readyTimeout: void 0,
          ident: void 0,
          username: void 0,
          password: void 0,
          privateKey: void 0,
          tryKeyboard: void 0,
          agent: void 0,
          allowAgentFwd: void 0,
          authHandler: void 0,
          hostHashAlgo: void 0,
          hostHashCb: void 0,
          strictVendor: void 0,
          debug: void 0
        }, this._agent = void 0, this._readyTimeout = void 0, this._chanMgr = void 0, this._callbacks = void 0, this._forwarding = void 0, this._forwardingUnix = void 0, this._acceptX11 = void 0, this._agentFwdEnabled = void 0, this._remoteVer = void 0, this._protocol = void 0, this._sock = void 0, this._resetKA = void 0;
      }
      connect(cfg) {
        if (this._sock && isWritable(this._sock))
          return this.once("close", () => {
            this.connect(cfg);
          }), this.end(), this;
        this.config.host = cfg.hostname || cfg.host || "localhost", this.config.port = cfg.port || 22, this.config.localAddress = typeof cfg.localAddress == "string" ? cfg.localAddress : void 0, this.config.localPort = typeof cfg.localPort == "string" || typeof cfg.localPort == "number" ? cfg.localPort : void 0, this.config.forceIPv4 = cfg.forceIPv4 || !1, this.config.forceIPv6 = cfg.forceIPv6 || !1, this.config.keepaliveCountMax = typeof cfg.keepaliveCountMax == "number" && cfg.keepaliveCountMax >= 0 ? cfg.keepaliveCountMax : 3, this.config.keepaliveInterval = typeof cfg.keepaliveInterval == "number" && cfg.keepaliveInterval > 0 ? cfg.keepaliveInterval : 0, this.config.readyTimeout = typeof cfg.readyTimeout == "number" && cfg.readyTimeout >= 0 ? cfg.readyTimeout : 2e4, this.config.ident = typeof cfg.ident == "string" || Buffer.isBuffer(cfg.ident) ? cfg.ident : void 0;
        let algorithms = {
          kex: void 0,
          serverHostKey: void 0,
          cs: {
            cipher: void 0,
            mac: void 0,
            compress: void 0,
            lang: []
          },
          sc: void 0
        }, allOfferDefaults = !0;
        if (typeof cfg.algorithms == "object" && cfg.algorithms !== null && (algorithms.kex = generateAlgorithmList(
          cfg.algorithms.kex,
          DEFAULT_KEX,
          SUPPORTED_KEX
        ), algorithms.kex !== DEFAULT_KEX && (allOfferDefaults = !1), algorithms.serverHostKey = generateAlgorithmList(
          cfg.algorithms.serverHostKey,
          DEFAULT_SERVER_HOST_KEY,
          SUPPORTED_SERVER_HOST_KEY
        ), algorithms.serverHostKey !== DEFAULT_SERVER_HOST_KEY && (allOfferDefaults = !1), algorithms.cs.cipher = generateAlgorithmList(
          cfg.algorithms.cipher,
          DEFAULT_CIPHER,
          SUPPORTED_CIPHER
        ), algorithms.cs.cipher !== DEFAULT_CIPHER && (allOfferDefaults = !1), algorithms.cs.mac = generateAlgorithmList(
          cfg.algorithms.hmac,
          DEFAULT_MAC,
          SUPPORTED_MAC
        ), algorithms.cs.mac !== DEFAULT_MAC && (allOfferDefaults = !1), algorithms.cs.compress = generateAlgorithmList(
          cfg.algorithms.compress,
          DEFAULT_COMPRESSION,
          SUPPORTED_COMPRESSION
        ), algorithms.cs.compress !== DEFAULT_COMPRESSION && (allOfferDefaults = !1), allOfferDefaults || (algorithms.sc = algorithms.cs)), typeof cfg.username == "string")
          this.config.username = cfg.username;
        else if (typeof cfg.user == "string")
          this.config.username = cfg.user;
        else
          throw new Error("Invalid username");
        this.config.password = typeof cfg.password == "string" ? cfg.password : void 0, this.config.privateKey = typeof cfg.privateKey == "string" || Buffer.isBuffer(cfg.privateKey) ? cfg.privateKey : void 0, this.config.localHostname = typeof cfg.localHostname == "string" ? cfg.localHostname : void 0, this.config.localUsername = typeof cfg.localUsername == "string" ? cfg.localUsername : void 0, this.config.tryKeyboard = cfg.tryKeyboard === !0, typeof cfg.agent == "string" && cfg.agent.length ? this.config.agent = createAgent(cfg.agent) : isAgent(cfg.agent) ? this.config.agent = cfg.agent : this.config.agent = void 0, this.config.allowAgentFwd = cfg.agentForward === !0 && this.config.agent !== void 0;
        let authHandler = this.config.authHandler = typeof cfg.authHandler == "function" || Array.isArray(cfg.authHandler) ? cfg.authHandler : void 0;
        this.config.strictVendor = typeof cfg.strictVendor == "boolean" ? cfg.strictVendor : !0;
        let debug = this.config.debug = typeof cfg.debug == "function" ? cfg.debug : void 0;
        if (cfg.agentForward === !0 && !this.config.allowAgentFwd)
          throw new Error(
            "You must set a valid agent path to allow agent forwarding"
          );
        let callbacks = this._callbacks = [];
        this._chanMgr = new ChannelManager(this), this._forwarding = {}, this._forwardingUnix = {}, this._acceptX11 = 0, this._agentFwdEnabled = !1, this._agent = this.config.agent ? this.config.agent : void 0, this._remoteVer = void 0;
        let privateKey2;
        if (this.config.privateKey) {
          if (privateKey2 = parseKey(this.config.privateKey, cfg.passphrase), privateKey2 instanceof Error)
            throw new Error(`Cannot parse privateKey: ${privateKey2.message}`);
          if (Array.isArray(privateKey2) && (privateKey2 = privateKey2[0]), privateKey2.getPrivatePEM() === null)
            throw new Error(
              "privateKey value does not contain a (valid) private key"
            );
        }
        let hostVerifier;
        if (typeof cfg.hostVerifier == "function") {
          let hashCb = cfg.hostVerifier, hashAlgo;
          HASHES.indexOf(cfg.hostHash) !== -1 && (hashAlgo = cfg.hostHash), hostVerifier = (key, verify) => {
            hashAlgo && (key = createHash2(hashAlgo).update(key).digest("hex"));
            let ret = hashCb(key, verify);
            ret !== void 0 && verify(ret);
          };
        }
        let sock = this._sock = cfg.sock || new Socket(), ready = !1, sawHeader = !1;
        this._protocol && this._protocol.cleanup();
        let DEBUG_HANDLER = debug ? (p, display, msg) => {
          debug(`Debug output from server: ${JSON.stringify(msg)}`);
        } : void 0, serverSigAlgs, proto = this._protocol = new Protocol({
          ident: this.config.ident,
          offer: allOfferDefaults ? void 0 : algorithms,
          onWrite: (data) => {
            isWritable(sock) && sock.write(data);
          },
          onError: (err) => {
            err.level === "handshake" && clearTimeout(this._readyTimeout), proto._destruct || sock.removeAllListeners("data"), this.emit("error", err);
            try {
              sock.end();
            } catch {
            }
          },
          onHeader: (header) => {
            sawHeader = !0, this._remoteVer = header.versions.software, header.greeting && this.emit("greeting", header.greeting);
          },
          onHandshakeComplete: (negotiated) => {
            this.emit("handshake", negotiated), ready || (ready = !0, proto.service("ssh-userauth"));
          },
          debug,
          hostVerifier,
          messageHandlers: {
            DEBUG: DEBUG_HANDLER,
            DISCONNECT: (p, reason, desc) => {
              if (reason !== DISCONNECT_REASON.BY_APPLICATION) {
                desc || (desc = DISCONNECT_REASON_BY_VALUE[reason], desc === void 0 && (desc = `Unexpected disconnection reason: ${reason}`));
                let err = new Error(desc);
                err.code = reason, this.emit("error", err);
              }
              sock.end();
            },
            SERVICE_ACCEPT: (p, name) => {
              name === "ssh-userauth" && tryNextAuth();
            },
            EXT_INFO: (p, exts) => {
              if (serverSigAlgs === void 0) {
                for (let ext of exts)
                  if (ext.name === "server-sig-algs") {
                    serverSigAlgs = ext.algs;
                    return;
                  }
                serverSigAlgs = null;
              }
            },
            USERAUTH_BANNER: (p, msg) => {
              this.emit("banner", msg);
            },
            USERAUTH_SUCCESS: (p) => {
              resetKA(), clearTimeout(this._readyTimeout), this.emit("ready");
            },
            USERAUTH_FAILURE: (p, authMethods, partialSuccess) => {
              if (curAuth.keyAlgos) {
                let oldKeyAlgo = curAuth.keyAlgos[0][0];
                if (debug && debug(`Client: ${curAuth.type} (${oldKeyAlgo}) auth failed`), curAuth.keyAlgos.shift(), curAuth.keyAlgos.length) {
                  let [keyAlgo, hashAlgo] = curAuth.keyAlgos[0];
                  switch (curAuth.type) {
                    case "agent":
                      proto.authPK(
                        curAuth.username,
                        curAuth.agentCtx.currentKey(),
                        keyAlgo
                      );
                      return;
                    case "publickey":
                      proto.authPK(curAuth.username, curAuth.key, keyAlgo);
                      return;
                    case "hostbased":
                      proto.authHostbased(
                        curAuth.username,
                        curAuth.key,
                        curAuth.localHostname,
                        curAuth.localUsername,
                        keyAlgo,
                        (buf, cb) => {
                          let signature = curAuth.key.sign(buf, hashAlgo);
                          if (signature instanceof Error)
                            return signature.message = `Error while signing with key: ${signature.message}`, signature.level = "client-authentication", this.emit("error", signature), tryNextAuth();
                          cb(signature);
                        }
                      );
                      return;
                  }
                } else
                  curAuth.keyAlgos = void 0;
              }
              if (curAuth.type === "agent") {
                let pos = curAuth.agentCtx.pos();
                return debug && debug(`Client: Agent key #${pos + 1} failed`), tryNextAgentKey();
              }
              debug && debug(`Client: ${curAuth.type} auth failed`), curPartial = partialSuccess, curAuthsLeft = authMethods, tryNextAuth();
            },
            USERAUTH_PASSWD_CHANGEREQ: (p, prompt) => {
              curAuth.type === "password" && this.emit("change password", prompt, (newPassword) => {
                proto.authPassword(
                  this.config.username,
                  this.config.password,
                  newPassword
                );
              });
            },
            USERAUTH_PK_OK: (p) => {
              let keyAlgo, hashAlgo;
              if (curAuth.keyAlgos && ([keyAlgo, hashAlgo] = curAuth.keyAlgos[0]), curAuth.type === "agent") {
                let key = curAuth.agentCtx.currentKey();
                proto.authPK(curAuth.username, key, keyAlgo, (buf, cb) => {
                  let opts = { hash: hashAlgo };
                  curAuth.agentCtx.sign(key, buf, opts, (err, signed) => {
                    if (err)
                      err.level = "agent", this.emit("error", err);
                    else
                      return cb(signed);
                    tryNextAgentKey();
                  });
                });
              } else curAuth.type === "publickey" && proto.authPK(curAuth.username, curAuth.key, keyAlgo, (buf, cb) => {
                let signature = curAuth.key.sign(buf, hashAlgo);
                if (signature instanceof Error)
                  return signature.message = `Error signing data with key: ${signature.message}`, signature.level = "client-authentication", this.emit("error", signature), tryNextAuth();
                cb(signature);
              });
            },
            USERAUTH_INFO_REQUEST: (p, name, instructions, prompts) => {
              if (curAuth.type === "keyboard-interactive") {
                if ((Array.isArray(prompts) ? prompts.length : 0) === 0) {
                  debug && debug(
                    "Client: Sending automatic USERAUTH_INFO_RESPONSE"
                  ), proto.authInfoRes();
                  return;
                }
                curAuth.prompt(
                  name,
                  instructions,
                  "",
                  prompts,
                  (answers) => {
                    proto.authInfoRes(answers);
                  }
                );
              }
            },
            REQUEST_SUCCESS: (p, data) => {
              callbacks.length && callbacks.shift()(!1, data);
            },
            REQUEST_FAILURE: (p) => {
              callbacks.length && callbacks.shift()(!0);
            },
            GLOBAL_REQUEST: (p, name, wantReply, data) => {
              name === "hostkeys-00@openssh.com" ? (hostKeysProve(this, data, (err, keys) => {
                err || this.emit("hostkeys", keys);
              }), wantReply && proto.requestSuccess()) : wantReply && proto.requestFailure();
            },
            CHANNEL_OPEN: (p, info) => {
              onCHANNEL_OPEN(this, info);
            },
            CHANNEL_OPEN_CONFIRMATION: (p, info) => {
              let channel = this._chanMgr.get(info.recipient);
              if (typeof channel != "function")
                return;
              let isSFTP = channel.type === "sftp", chanInfo = {
                type: isSFTP ? "session" : channel.type,
                incoming: {
                  id: info.recipient,
                  window: MAX_WINDOW,
                  packetSize: PACKET_SIZE,
                  state: "open"
                },
                outgoing: {
                  id: info.sender,
                  window: info.window,
                  packetSize: info.packetSize,
                  state: "open"
                }
              }, instance = isSFTP ? new SFTP(this, chanInfo, { debug }) : new Channel(this, chanInfo);
              this._chanMgr.update(info.recipient, instance), channel(void 0, instance);
            },
            CHANNEL_OPEN_FAILURE: (p, recipient, reason, description) => {
              let channel = this._chanMgr.get(recipient);
              if (typeof channel != "function")
                return;
              onChannelOpenFailure(this, recipient, { reason, description }, channel);
            },
            CHANNEL_DATA: (p, recipient, data) => {
              let channel = this._chanMgr.get(recipient);
              if (!(typeof channel != "object" || channel === null) && channel.incoming.window !== 0) {
                if (channel.incoming.window -= data.length, channel.push(data) === !1) {
                  channel._waitChanDrain = !0;
                  return;
                }
                channel.incoming.window <= WINDOW_THRESHOLD && windowAdjust(channel);
              }
            },
            CHANNEL_EXTENDED_DATA: (p, recipient, data, type) => {
              if (type !== STDERR)
                return;
              let channel = this._chanMgr.get(recipient);
              if (!(typeof channel != "object" || channel === null) && channel.incoming.window !== 0) {
                if (channel.incoming.window -= data.length, !channel.stderr.push(data)) {
                  channel._waitChanDrain = !0;
                  return;
                }
                channel.incoming.window <= WINDOW_THRESHOLD && windowAdjust(channel);
              }
            },
            CHANNEL_WINDOW_ADJUST: (p, recipient, amount) => {
              let channel = this._chanMgr.get(recipient);
              typeof channel != "object" || channel === null || (channel.outgoing.window += amount, channel._waitWindow && (channel._waitWindow = !1, channel._chunk ? channel._write(channel._chunk, null, channel._chunkcb) : channel._chunkcb ? channel._chunkcb() : channel._chunkErr ? channel.stderr._write(
                channel._chunkErr,
                null,
                channel._chunkcbErr
              ) : channel._chunkcbErr && channel._chunkcbErr()));
            },
            CHANNEL_SUCCESS: (p, recipient) => {
              let channel = this._chanMgr.get(recipient);
              typeof channel != "object" || channel === null || (this._resetKA(), channel._callbacks.length && channel._callbacks.shift()(!1));
            },
            CHANNEL_FAILURE: (p, recipient) => {
              let channel = this._chanMgr.get(recipient);
              typeof channel != "object" || channel === null || (this._resetKA(), channel._callbacks.length && channel._callbacks.shift()(!0));
            },
            CHANNEL_REQUEST: (p, recipient, type, wantReply, data) => {
              let channel = this._chanMgr.get(recipient);
              if (typeof channel != "object" || channel === null)
                return;
              let exit = channel._exit;
              if (exit.code === void 0) {
                switch (type) {
                  case "exit-status":
                    channel.emit("exit", exit.code = data);
                    return;
                  case "exit-signal":
                    channel.emit(
                      "exit",
                      exit.code = null,
                      exit.signal = `SIG${data.signal}`,
                      exit.dump = data.coreDumped,
                      exit.desc = data.errorMessage
                    );
                    return;
                }
                wantReply && p.channelFailure(channel.outgoing.id);
              }
            },
            CHANNEL_EOF: (p, recipient) => {
              let channel = this._chanMgr.get(recipient);
              typeof channel != "object" || channel === null || channel.incoming.state === "open" && (channel.incoming.state = "eof", channel.readable && channel.push(null), channel.stderr.readable && channel.stderr.push(null));
            },
            CHANNEL_CLOSE: (p, recipient) => {
              onCHANNEL_CLOSE(this, recipient, this._chanMgr.get(recipient));
            }
          }
        });
        sock.pause();
        let kainterval = this.config.keepaliveInterval, kacountmax = this.config.keepaliveCountMax, kacount = 0, katimer, sendKA = () => {
          if (++kacount > kacountmax) {
            if (clearInterval(katimer), sock.readable) {
              let err = new Error("Keepalive timeout");
              err.level = "client-timeout", this.emit("error", err), sock.destroy();
            }
            return;
          }
          isWritable(sock) ? (callbacks.push(resetKA), proto.ping()) : clearInterval(katimer);
        };
        function resetKA() {
          kainterval > 0 && (kacount = 0, clearInterval(katimer), isWritable(sock) && (katimer = setInterval(sendKA, kainterval)));
        }
        this._resetKA = resetKA;
        let onDone = /* @__PURE__ */ (() => {
          let called = !1;
          return () => {
            if (!called && (called = !0, wasConnected && !sawHeader)) {
              let err = makeError("Connection lost before handshake", "protocol", !0);
              this.emit("error", err);
            }
          };
        })(), onConnect = /* @__PURE__ */ (() => {
          let called = !1;
          return () => {
            called || (called = !0, wasConnected = !0, debug && debug("Socket connected"), this.emit("connect"), cryptoInit.then(() => {
              proto.start(), sock.on("data", (data) => {
                try {
                  proto.parse(data, 0, data.length);
                } catch (ex) {
                  this.emit("error", ex);
                  try {
                    isWritable(sock) && sock.end();
                  } catch {
                  }
                }
              }), sock.stderr && typeof sock.stderr.resume == "function" && sock.stderr.resume(), sock.resume();
            }).catch((err) => {
              this.emit("error", err);
              try {
                isWritable(sock) && sock.end();
              } catch {
              }
            }));
          };
        })(), wasConnected = !1;
        sock.on("connect", onConnect).on("timeout", () => {
          this.emit("timeout");
        }).on("error", (err) => {
          debug && debug(`Socket error: ${err.message}`), clearTimeout(this._readyTimeout), err.level = "client-socket", this.emit("error", err);
        }).on("end", () => {
          debug && debug("Socket ended"), onDone(), proto.cleanup(), clearTimeout(this._readyTimeout), clearInterval(katimer), this.emit("end");
        }).on("close", () => {
          debug && debug("Socket closed"), onDone(), proto.cleanup(), clearTimeout(this._readyTimeout), clearInterval(katimer), this.emit("close");
          let callbacks_ = callbacks;
          callbacks = this._callbacks = [];
          let err = new Error("No response from server");
          for (let i = 0; i < callbacks_.length; ++i)
            callbacks_[i](err);
          this._chanMgr.cleanup(err);
        });
        let curAuth, curPartial = null, curAuthsLeft = null, authsAllowed = ["none"];
        this.config.password !== void 0 && authsAllowed.push("password"), privateKey2 !== void 0 && authsAllowed.push("publickey"), this._agent !== void 0 && authsAllowed.push("agent"), this.config.tryKeyboard && authsAllowed.push("keyboard-interactive"), privateKey2 !== void 0 && this.config.localHostname !== void 0 && this.config.localUsername !== void 0 && authsAllowed.push("hostbased"), Array.isArray(authHandler) ? authHandler = makeSimpleAuthHandler(authHandler) : typeof authHandler != "function" && (authHandler = makeSimpleAuthHandler(authsAllowed));
        let hasSentAuth = !1, doNextAuth = (nextAuth) => {
          if (!hasSentAuth) {
            if (hasSentAuth = !0, nextAuth === !1) {
              let err = new Error("All configured authentication methods failed");
              err.level = "client-authentication", this.emit("error", err), this.end();
              return;
            }
            if (typeof nextAuth == "string") {
              let type = nextAuth;
              if (authsAllowed.indexOf(type) === -1)
                return skipAuth(`Authentication method not allowed: ${type}`);
              let username = this.config.username;
              switch (type) {
                case "password":
                  nextAuth = { type, username, password: this.config.password };
                  break;
                case "publickey":
                  nextAuth = { type, username, key: privateKey2 };
                  break;
                case "hostbased":
                  nextAuth = {
                    type,
                    username,
                    key: privateKey2,
                    localHostname: this.config.localHostname,
                    localUsername: this.config.localUsername
                  };
                  break;
                case "agent":
                  nextAuth = {
                    type,
                    username,
                    agentCtx: new AgentContext(this._agent)
                  };
                  break;
                case "keyboard-interactive":
                  nextAuth = {
                    type,
                    username,
                    prompt: (...args) => this.emit("keyboard-interactive", ...args)
                  };
                  break;
                case "none":
                  nextAuth = { type, username };
                  break;
                default:
                  return skipAuth(
                    `Skipping unsupported authentication method: ${nextAuth}`
                  );
              }
            } else {
              if (typeof nextAuth != "object" || nextAuth === null)
                return skipAuth(
                  `Skipping invalid authentication attempt: ${nextAuth}`
                );
              {
                let username = nextAuth.username;
                if (typeof username != "string")
                  return skipAuth(
                    `Skipping invalid authentication attempt: ${nextAuth}`
                  );
                let type = nextAuth.type;
                switch (type) {
                  case "password": {
                    let { password } = nextAuth;
                    if (typeof password != "string" && !Buffer.isBuffer(password))
                      return skipAuth("Skipping invalid password auth attempt");
                    nextAuth = { type, username, password };
                    break;
                  }
                  case "publickey": {
                    let key = parseKey(nextAuth.key, nextAuth.passphrase);
                    if (key instanceof Error)
                      return skipAuth("Skipping invalid key auth attempt");
                    if (!key.isPrivateKey())
                      return skipAuth("Skipping non-private key");
                    nextAuth = { type, username, key };
                    break;
                  }
                  case "hostbased": {
                    let { localHostname, localUsername } = nextAuth, key = parseKey(nextAuth.key, nextAuth.passphrase);
                    if (key instanceof Error || typeof localHostname != "string" || typeof localUsername != "string")
                      return skipAuth("Skipping invalid hostbased auth attempt");
                    if (!key.isPrivateKey())
                      return skipAuth("Skipping non-private key");
                    nextAuth = { type, username, key, localHostname, localUsername };
                    break;
                  }
                  case "agent": {
                    let agent = nextAuth.agent;
                    if (typeof agent == "string" && agent.length)
                      agent = createAgent(agent);
                    else if (!isAgent(agent))
                      return skipAuth(
                        `Skipping invalid agent: ${nextAuth.agent}`
                      );
                    nextAuth = { type, username, agentCtx: new AgentContext(agent) };
                    break;
                  }
                  case "keyboard-interactive": {
                    let { prompt } = nextAuth;
                    if (typeof prompt != "function")
                      return skipAuth(
                        "Skipping invalid keyboard-interactive auth attempt"
                      );
                    nextAuth = { type, username, prompt };
                    break;
                  }
                  case "none":
                    nextAuth = { type, username };
                    break;
                  default:
                    return skipAuth(
                      `Skipping unsupported authentication method: ${nextAuth}`
                    );
                }
              }
            }
            curAuth = nextAuth;
            try {
              let username = curAuth.username;
              switch (curAuth.type) {
                case "password":
                  proto.authPassword(username, curAuth.password);
                  break;
                case "publickey": {
                  let keyAlgo;
                  if (curAuth.keyAlgos = getKeyAlgos(this, curAuth.key, serverSigAlgs), curAuth.keyAlgos)
                    if (curAuth.keyAlgos.length)
                      keyAlgo = curAuth.keyAlgos[0][0];
                    else
                      return skipAuth(
                        "Skipping key authentication (no mutual hash algorithm)"
                      );
                  proto.authPK(username, curAuth.key, keyAlgo);
                  break;
                }
                case "hostbased": {
                  let keyAlgo, hashAlgo;
                  if (curAuth.keyAlgos = getKeyAlgos(this, curAuth.key, serverSigAlgs), curAuth.keyAlgos)
                    if (curAuth.keyAlgos.length)
                      [keyAlgo, hashAlgo] = curAuth.keyAlgos[0];
                    else
                      return skipAuth(
                        "Skipping hostbased authentication (no mutual hash algorithm)"
                      );
                  proto.authHostbased(
                    username,
                    curAuth.key,
                    curAuth.localHostname,
                    curAuth.localUsername,
                    keyAlgo,
                    (buf, cb) => {
                      let signature = curAuth.key.sign(buf, hashAlgo);
                      if (signature instanceof Error)
                        return signature.message = `Error while signing with key: ${signature.message}`, signature.level = "client-authentication", this.emit("error", signature), tryNextAuth();
                      cb(signature);
                    }
                  );
                  break;
                }
                case "agent":
                  curAuth.agentCtx.init((err) => {
                    if (err)
                      return err.level = "agent", this.emit("error", err), tryNextAuth();
                    tryNextAgentKey();
                  });
                  break;
                case "keyboard-interactive":
                  proto.authKeyboard(username);
                  break;
                case "none":
                  proto.authNone(username);
                  break;
              }
            } finally {
              hasSentAuth = !1;
            }
          }
        };
        function skipAuth(msg) {
          debug && debug(msg), process.nextTick(tryNextAuth);
        }
        function tryNextAuth() {
          hasSentAuth = !1;
          let auth = authHandler(curAuthsLeft, curPartial, doNextAuth);
          hasSentAuth || auth === void 0 || doNextAuth(auth);
        }
        let tryNextAgentKey = () => {
          if (curAuth.type === "agent") {
            let key = curAuth.agentCtx.nextKey();
            if (key === !1)
              debug && debug("Agent: No more keys left to try"), debug && debug("Client: agent auth failed"), tryNextAuth();
            else {
              let pos = curAuth.agentCtx.pos(), keyAlgo;
              if (curAuth.keyAlgos = getKeyAlgos(this, key, serverSigAlgs), curAuth.keyAlgos)
                if (curAuth.keyAlgos.length)
                  keyAlgo = curAuth.keyAlgos[0][0];
                else {
                  debug && debug(
                    `Agent: Skipping key #${pos + 1} (no mutual hash algorithm)`
                  ), tryNextAgentKey();
                  return;
                }
              debug && debug(`Agent: Trying key #${pos + 1}`), proto.authPK(curAuth.username, key, keyAlgo);
            }
          }
        }, startTimeout = () => {
          this.config.readyTimeout > 0 && (this._readyTimeout = setTimeout(() => {
            let err = new Error("Timed out while waiting for handshake");
            err.level = "client-timeout", this.emit("error", err), sock.destroy();
          }, this.config.readyTimeout));
        };
        if (cfg.sock)
          startTimeout(), typeof sock.connecting == "boolean" && sock.connecting || onConnect();
        else {
          let host = this.config.host, forceIPv4 = this.config.forceIPv4, forceIPv6 = this.config.forceIPv6;
          debug && debug(`Client: Trying ${host} on port ${this.config.port} ...`);
          let doConnect = () => {
            startTimeout(), sock.connect({
              host,
              port: this.config.port,
              localAddress: this.config.localAddress,
              localPort: this.config.localPort
            }), sock.setMaxListeners(0), sock.setTimeout(typeof cfg.timeout == "number" ? cfg.timeout : 0);
          };
          !forceIPv4 && !forceIPv6 || forceIPv4 && forceIPv6 ? doConnect() : dnsLookup(host, forceIPv4 ? 4 : 6, (err, address, family) => {
            if (err) {
              let type = forceIPv4 ? "IPv4" : "IPv6", error = new Error(
                `Error while looking up ${type} address for '${host}': ${err}`
              );
              clearTimeout(this._readyTimeout), error.level = "client-dns", this.emit("error", error), this.emit("close");
              return;
            }
            host = address, doConnect();
          });
        }
        return this;
      }
      end() {
        return this._sock && isWritable(this._sock) && (this._protocol.disconnect(DISCONNECT_REASON.BY_APPLICATION), this._sock.end()), this;
      }
      destroy() {
        return this._sock && isWritable(this._sock) && this._sock.destroy(), this;
      }
      exec(cmd, opts, cb) {
        if (!this._sock || !isWritable(this._sock))
          throw new Error("Not connected");
        typeof opts == "function" && (cb = opts, opts = {});
        let extraOpts = { allowHalfOpen: opts.allowHalfOpen !== !1 };
        return openChannel(this, "session", extraOpts, (err, chan) => {
          if (err) {
            cb(err);
            return;
          }
          let todo = [];
          function reqCb(err2) {
            if (err2) {
              chan.close(), cb(err2);
              return;
            }
            todo.length && todo.shift()();
          }
          (this.config.allowAgentFwd === !0 || opts && opts.agentForward === !0 && this._agent !== void 0) && todo.push(() => reqAgentFwd(chan, reqCb)), typeof opts == "object" && opts !== null && (typeof opts.env == "object" && opts.env !== null && reqEnv(chan, opts.env), (typeof opts.pty == "object" && opts.pty !== null || opts.pty === !0) && todo.push(() => reqPty(chan, opts.pty, reqCb)), (typeof opts.x11 == "object" && opts.x11 !== null || opts.x11 === "number" || opts.x11 === !0) && todo.push(() => reqX11(chan, opts.x11, reqCb))), todo.push(() => reqExec(chan, cmd, opts, cb)), todo.shift()();
        }), this;
      }
      shell(wndopts, opts, cb) {
        if (!this._sock || !isWritable(this._sock))
          throw new Error("Not connected");
        return typeof wndopts == "function" ? (cb = wndopts, wndopts = opts = void 0) : typeof opts == "function" && (cb = opts, opts = void 0), wndopts && (wndopts.x11 !== void 0 || wndopts.env !== void 0) && (opts = wndopts, wndopts = void 0), openChannel(this, "session", (err, chan) => {
          if (err) {
            cb(err);
            return;
          }
          let todo = [];
          function reqCb(err2) {
            if (err2) {
              chan.close(), cb(err2);
              return;
            }
            todo.length && todo.shift()();
          }
          (this.config.allowAgentFwd === !0 || opts && opts.agentForward === !0 && this._agent !== void 0) && todo.push(() => reqAgentFwd(chan, reqCb)), wndopts !== !1 && todo.push(() => reqPty(chan, wndopts, reqCb)), typeof opts == "object" && opts !== null && (typeof opts.env == "object" && opts.env !== null && reqEnv(chan, opts.env), (typeof opts.x11 == "object" && opts.x11 !== null || opts.x11 === "number" || opts.x11 === !0) && todo.push(() => reqX11(chan, opts.x11, reqCb))), todo.push(() => reqShell(chan, cb)), todo.shift()();
        }), this;
      }
      subsys(name, cb) {
        if (!this._sock || !isWritable(this._sock))
          throw new Error("Not connected");
        return openChannel(this, "session", (err, chan) => {
          if (err) {
            cb(err);
            return;
          }
          reqSubsystem(chan, name, (err2, stream) => {
            if (err2) {
              cb(err2);
              return;
            }
            cb(void 0, stream);
          });
        }), this;
      }
      forwardIn(bindAddr, bindPort, cb) {
        if (!this._sock || !isWritable(this._sock))
          throw new Error("Not connected");
        let wantReply = typeof cb == "function";
        return wantReply && this._callbacks.push((had_err, data) => {
          if (had_err) {
            cb(had_err !== !0 ? had_err : new Error(`Unable to bind to ${bindAddr}:${bindPort}`));
            return;
          }
          let realPort = bindPort;
          bindPort === 0 && data && data.length >= 4 && (realPort = readUInt32BE(data, 0), this._protocol._compatFlags & COMPAT.DYN_RPORT_BUG || (bindPort = realPort)), this._forwarding[`${bindAddr}:${bindPort}`] = realPort, cb(void 0, realPort);
        }), this._protocol.tcpipForward(bindAddr, bindPort, wantReply), this;
      }
      unforwardIn(bindAddr, bindPort, cb) {
        if (!this._sock || !isWritable(this._sock))
          throw new Error("Not connected");
        let wantReply = typeof cb == "function";
        return wantReply && this._callbacks.push((had_err) => {
          if (had_err) {
            cb(had_err !== !0 ? had_err : new Error(`Unable to unbind from ${bindAddr}:${bindPort}`));
            return;
          }
          delete this._forwarding[`${bindAddr}:${bindPort}`], cb();
        }), this._protocol.cancelTcpipForward(bindAddr, bindPort, wantReply), this;
      }
      forwardOut(srcIP, srcPort, dstIP, dstPort, cb) {
        if (!this._sock || !isWritable(this._sock))
          throw new Error("Not connected");
        let cfg = {
          srcIP,
          srcPort,
          dstIP,
          dstPort
        };
        return typeof cb != "function" && (cb = noop), openChannel(this, "direct-tcpip", cfg, cb), this;
      }
      openssh_noMoreSessions(cb) {
        if (!this._sock || !isWritable(this._sock))
          throw new Error("Not connected");
        let wantReply = typeof cb == "function";
        return !this.config.strictVendor || this.config.strictVendor && RE_OPENSSH.test(this._remoteVer) ? (wantReply && this._callbacks.push((had_err) => {
          if (had_err) {
            cb(had_err !== !0 ? had_err : new Error("Unable to disable future sessions"));
            return;
          }
          cb();
        }), this._protocol.openssh_noMoreSessions(wantReply), this) : wantReply ? (process.nextTick(
          cb,
          new Error(
            "strictVendor enabled and server is not OpenSSH or compatible version"
          )
        ), this) : this;
      }
      openssh_forwardInStreamLocal(socketPath, cb) {
        if (!this._sock || !isWritable(this._sock))
          throw new Error("Not connected");
        let wantReply = typeof cb == "function";
        return !this.config.strictVendor || this.config.strictVendor && RE_OPENSSH.test(this._remoteVer) ? (wantReply && this._callbacks.push((had_err) => {
          if (had_err) {
            cb(had_err !== !0 ? had_err : new Error(`Unable to bind to ${socketPath}`));
            return;
          }
          this._forwardingUnix[socketPath] = !0, cb();
        }), this._protocol.openssh_streamLocalForward(socketPath, wantReply), this) : wantReply ? (process.nextTick(
          cb,
          new Error(
            "strictVendor enabled and server is not OpenSSH or compatible version"
          )
        ), this) : this;
      }
      openssh_unforwardInStreamLocal(socketPath, cb) {
        if (!this._sock || !isWritable(this._sock))
          throw new Error("Not connected");
        let wantReply = typeof cb == "function";
        return !this.config.strictVendor || this.config.strictVendor && RE_OPENSSH.test(this._remoteVer) ? (wantReply && this._callbacks.push((had_err) => {
          if (had_err) {
            cb(had_err !== !0 ? had_err : new Error(`Unable to unbind from ${socketPath}`));
            return;
          }
          delete this._forwardingUnix[socketPath], cb();
        }), this._protocol.openssh_cancelStreamLocalForward(socketPath, wantReply), this) : wantReply ? (process.nextTick(
          cb,
          new Error(
            "strictVendor enabled and server is not OpenSSH or compatible version"
          )
        ), this) : this;
      }
      openssh_forwardOutStreamLocal(socketPath, cb) {
        if (!this._sock || !isWritable(this._sock))
          throw new Error("Not connected");
        return typeof cb != "function" && (cb = noop), !this.config.strictVendor || this.config.strictVendor && RE_OPENSSH.test(this._remoteVer) ? (openChannel(this, "direct-streamlocal@openssh.com", { socketPath }, cb), this) : (process.nextTick(
          cb,
          new Error(
            "strictVendor enabled and server is not OpenSSH or compatible version"
          )
        ), this);
      }
      sftp(env, cb) {
        if (!this._sock || !isWritable(this._sock))
          throw new Error("Not connected");
        return typeof env == "function" && (cb = env, env = void 0), openChannel(this, "sftp", (err, sftp) => {
          if (err) {
            cb(err);
            return;
          }
          let reqSubsystemCb = (err2, sftp_) => {
            if (err2) {
              cb(err2);
              return;
            }
            function removeListeners() {
              sftp.removeListener("ready", onReady), sftp.removeListener("error", onError), sftp.removeListener("exit", onExit), sftp.removeListener("close", onExit);
            }
            function onReady() {
              removeListeners(), cb(void 0, sftp);
            }
            function onError(err3) {
              removeListeners(), cb(err3);
            }
            function onExit(code, signal) {
              removeListeners();
              let msg;
              typeof code == "number" ? msg = `Received exit code ${code} while establishing SFTP session` : signal !== void 0 ? msg = `Received signal ${signal} while establishing SFTP session` : msg = "Received unexpected SFTP session termination";
              let err3 = new Error(msg);
              err3.code = code, err3.signal = signal, cb(err3);
            }
            sftp.on("ready", onReady).on("error", onError).on("exit", onExit).on("close", onExit), sftp._init();
          };
          typeof env == "object" && env !== null ? reqEnv(sftp, env, (err2) => {
            if (err2) {
              cb(err2);
              return;
            }
            reqSubsystem(sftp, "sftp", reqSubsystemCb);
          }) : reqSubsystem(sftp, "sftp", reqSubsystemCb);
        }), this;
      }
      setNoDelay(noDelay) {
        return this._sock && typeof this._sock.setNoDelay == "function" && this._sock.setNoDelay(noDelay), this;
      }
    };
    function openChannel(self2, type, opts, cb) {
      let initWindow = MAX_WINDOW, maxPacket = PACKET_SIZE;
      typeof opts == "function" && (cb = opts, opts = {});
      let wrapper = (err, stream) => {
        cb(err, stream);
      };
      wrapper.type = type;
      let localChan = self2._chanMgr.add(wrapper);
      if (localChan === -1) {
        cb(new Error("No free channels available"));
        return;
      }
      switch (type) {
        case "session":
        case "sftp":
          self2._protocol.session(localChan, initWindow, maxPacket);
          break;
        case "direct-tcpip":
          self2._protocol.directTcpip(localChan, initWindow, maxPacket, opts);
          break;
        case "direct-streamlocal@openssh.com":
          self2._protocol.openssh_directStreamLocal(
            localChan,
            initWindow,
            maxPacket,
            opts
          );
          break;
        default:
          throw new Error(`Unsupported channel type: ${type}`);
      }
    }
    function reqX11(chan, screen, cb) {
      let cfg = {
        single: !1,
        protocol: "MIT-MAGIC-COOKIE-1",
        cookie: void 0,
        screen: 0
      };
      typeof screen == "function" ? cb = screen : typeof screen == "object" && screen !== null && (typeof screen.single == "boolean" && (cfg.single = screen.single), typeof screen.screen == "number" && (cfg.screen = screen.screen), typeof screen.protocol == "string" && (cfg.protocol = screen.protocol), typeof screen.cookie == "string" ? cfg.cookie = screen.cookie : Buffer.isBuffer(screen.cookie) && (cfg.cookie = screen.cookie.hexSlice(0, screen.cookie.length))), cfg.cookie === void 0 && (cfg.cookie = randomCookie());
      let wantReply = typeof cb == "function";
      if (chan.outgoing.state !== "open") {
        wantReply && cb(new Error("Channel is not open"));
        return;
      }
      wantReply && chan._callbacks.push((had_err) => {
        if (had_err) {
          cb(had_err !== !0 ? had_err : new Error("Unable to request X11"));
          return;
        }
        chan._hasX11 = !0, ++chan._client._acceptX11, chan.once("close", () => {
          chan._client._acceptX11 && --chan._client._acceptX11;
        }), cb();
      }), chan._client._protocol.x11Forward(chan.outgoing.id, cfg, wantReply);
    }
    function reqPty(chan, opts, cb) {
      let rows = 24, cols = 80, width = 640, height = 480, term = "vt100", modes = null;
      typeof opts == "function" ? cb = opts : typeof opts == "object" && opts !== null && (typeof opts.rows == "number" && (rows = opts.rows), typeof opts.cols == "number" && (cols = opts.cols), typeof opts.width == "number" && (width = opts.width), typeof opts.height == "number" && (height = opts.height), typeof opts.term == "string" && (term = opts.term), typeof opts.modes == "object" && (modes = opts.modes));
      let wantReply = typeof cb == "function";
      if (chan.outgoing.state !== "open") {
        wantReply && cb(new Error("Channel is not open"));
        return;
      }
      wantReply && chan._callbacks.push((had_err) => {
        if (had_err) {
          cb(had_err !== !0 ? had_err : new Error("Unable to request a pseudo-terminal"));
          return;
        }
        cb();
      }), chan._client._protocol.pty(
        chan.outgoing.id,
        rows,
        cols,
        height,
        width,
        term,
        modes,
        wantReply
      );
    }
    function reqAgentFwd(chan, cb) {
      let wantReply = typeof cb == "function";
      if (chan.outgoing.state !== "open") {
        wantReply && cb(new Error("Channel is not open"));
        return;
      }
      if (chan._client._agentFwdEnabled) {
        wantReply && cb(!1);
        return;
      }
      chan._client._agentFwdEnabled = !0, chan._callbacks.push((had_err) => {
        if (had_err) {
          chan._client._agentFwdEnabled = !1, wantReply && cb(had_err !== !0 ? had_err : new Error("Unable to request agent forwarding"));
          return;
        }
        wantReply && cb();
      }), chan._client._protocol.openssh_agentForward(chan.outgoing.id, !0);
    }
    function reqShell(chan, cb) {
      if (chan.outgoing.state !== "open") {
        cb(new Error("Channel is not open"));
        return;
      }
      chan._callbacks.push((had_err) => {
        if (had_err) {
          cb(had_err !== !0 ? had_err : new Error("Unable to open shell"));
          return;
        }
        chan.subtype = "shell", cb(void 0, chan);
      }), chan._client._protocol.shell(chan.outgoing.id, !0);
    }
    function reqExec(chan, cmd, opts, cb) {
      if (chan.outgoing.state !== "open") {
        cb(new Error("Channel is not open"));
        return;
      }
      chan._callbacks.push((had_err) => {
        if (had_err) {
          cb(had_err !== !0 ? had_err : new Error("Unable to exec"));
          return;
        }
        chan.subtype = "exec", chan.allowHalfOpen = opts.allowHalfOpen !== !1, cb(void 0, chan);
      }), chan._client._protocol.exec(chan.outgoing.id, cmd, !0);
    }
    function reqEnv(chan, env, cb) {
      let wantReply = typeof cb == "function";
      if (chan.outgoing.state !== "open") {
        wantReply && cb(new Error("Channel is not open"));
        return;
      }
      wantReply && chan._callbacks.push((had_err) => {
        if (had_err) {
          cb(had_err !== !0 ? had_err : new Error("Unable to set environment"));
          return;
        }
        cb();
      });
      let keys = Object.keys(env || {});
      for (let i = 0; i < keys.length; ++i) {
        let key = keys[i], val = env[key];
        chan._client._protocol.env(chan.outgoing.id, key, val, wantReply);
      }
    }
    function reqSubsystem(chan, name, cb) {
      if (chan.outgoing.state !== "open") {
        cb(new Error("Channel is not open"));
        return;
      }
      chan._callbacks.push((had_err) => {
        if (had_err) {
          cb(had_err !== !0 ? had_err : new Error(`Unable to start subsystem: ${name}`));
          return;
        }
        chan.subtype = "subsystem", cb(void 0, chan);
      }), chan._client._protocol.subsystem(chan.outgoing.id, name, !0);
    }
    function onCHANNEL_OPEN(self2, info) {
      let localChan = -1, reason, accept = () => {
        let chanInfo = {
          type: info.type,
          incoming: {
            id: localChan,
            window: MAX_WINDOW,
            packetSize: PACKET_SIZE,
            state: "open"
          },
          outgoing: {
            id: info.sender,
            window: info.window,
            packetSize: info.packetSize,
            state: "open"
          }
        }, stream = new Channel(self2, chanInfo);
        return self2._chanMgr.update(localChan, stream), self2._protocol.channelOpenConfirm(
          info.sender,
          localChan,
          MAX_WINDOW,
          PACKET_SIZE
        ), stream;
      }, reject = () => {
        reason === void 0 && (localChan === -1 ? reason = CHANNEL_OPEN_FAILURE.RESOURCE_SHORTAGE : reason = CHANNEL_OPEN_FAILURE.CONNECT_FAILED), localChan !== -1 && self2._chanMgr.remove(localChan), self2._protocol.channelOpenFail(info.sender, reason, "");
      }, reserveChannel = () => (localChan = self2._chanMgr.add(), localChan === -1 && (reason = CHANNEL_OPEN_FAILURE.RESOURCE_SHORTAGE, self2.config.debug && self2.config.debug(
        "Client: Automatic rejection of incoming channel open: no channels available"
      )), localChan !== -1), data = info.data;
      switch (info.type) {
        case "forwarded-tcpip": {
          let val = self2._forwarding[`${data.destIP}:${data.destPort}`];
          if (val !== void 0 && reserveChannel()) {
            data.destPort === 0 && (data.destPort = val), self2.emit("tcp connection", data, accept, reject);
            return;
          }
          break;
        }
        case "forwarded-streamlocal@openssh.com":
          if (self2._forwardingUnix[data.socketPath] !== void 0 && reserveChannel()) {
            self2.emit("unix connection", data, accept, reject);
            return;
          }
          break;
        case "auth-agent@openssh.com":
          if (self2._agentFwdEnabled && typeof self2._agent.getStream == "function" && reserveChannel()) {
            self2._agent.getStream((err, stream) => {
              if (err)
                return reject();
              let upstream = accept();
              upstream.pipe(stream).pipe(upstream);
            });
            return;
          }
          break;
        case "x11":
          if (self2._acceptX11 !== 0 && reserveChannel()) {
            self2.emit("x11", data, accept, reject);
            return;
          }
          break;
        default:
          reason = CHANNEL_OPEN_FAILURE.UNKNOWN_CHANNEL_TYPE, self2.config.debug && self2.config.debug(
            `Client: Automatic rejection of unsupported incoming channel open type: ${info.type}`
          );
      }
      reason === void 0 && (reason = CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, self2.config.debug && self2.config.debug(
        "Client: Automatic rejection of unexpected incoming channel open for: " + info.type
      )), reject();
    }
    var randomCookie = (() => {
      let buffer = Buffer.allocUnsafe(16);
      return () => (randomFillSync(buffer, 0, 16), buffer.hexSlice(0, 16));
    })();
    function makeSimpleAuthHandler(authList) {
      if (!Array.isArray(authList))
        throw new Error("authList must be an array");
      let a = 0;
      return (authsLeft, partialSuccess, cb) => a === authList.length ? !1 : authList[a++];
    }
    function hostKeysProve(client, keys_, cb) {
      if (!client._sock || !isWritable(client._sock))
        return;
      if (typeof cb != "function" && (cb = noop), !Array.isArray(keys_))
        throw new TypeError("Invalid keys argument type");
      let keys = [];
      for (let key of keys_) {
        let parsed = parseKey(key);
        if (parsed instanceof Error)
          throw parsed;
        keys.push(parsed);
      }
      if (!client.config.strictVendor || client.config.strictVendor && RE_OPENSSH.test(client._remoteVer)) {
        client._callbacks.push((had_err, data) => {
          if (had_err) {
            cb(had_err !== !0 ? had_err : new Error("Server failed to prove supplied keys"));
            return;
          }
          let ret = [], keyIdx = 0;
          for (bufferParser.init(data, 0); bufferParser.avail() && keyIdx !== keys.length; ) {
            let key = keys[keyIdx++], keyPublic = key.getPublicSSH(), sigEntry = bufferParser.readString();
            sigParser.init(sigEntry, 0);
            let type = sigParser.readString(!0), value = sigParser.readString(), algo;
            if (type !== key.type)
              if (key.type === "ssh-rsa")
                switch (type) {
                  case "rsa-sha2-256":
                    algo = "sha256";
                    break;
                  case "rsa-sha2-512":
                    algo = "sha512";
                    break;
                  default:
                    continue;
                }
              else
                continue;
            let sessionID = client._protocol._kex.sessionID, verifyData = Buffer.allocUnsafe(
              37 + sessionID.length + 4 + keyPublic.length
            ), p = 0;
            writeUInt32BE(verifyData, 29, p), verifyData.utf8Write("hostkeys-prove-00@openssh.com", p += 4, 29), writeUInt32BE(verifyData, sessionID.length, p += 29), bufferCopy(sessionID, verifyData, 0, sessionID.length, p += 4), writeUInt32BE(verifyData, keyPublic.length, p += sessionID.length), bufferCopy(keyPublic, verifyData, 0, keyPublic.length, p += 4), (value = sigSSHToASN1(value, type)) && key.verify(verifyData, value, algo) === !0 && ret.push(key);
          }
          sigParser.clear(), bufferParser.clear(), cb(null, ret);
        }), client._protocol.openssh_hostKeysProve(keys);
        return;
      }
      process.nextTick(
        cb,
        new Error(
          "strictVendor enabled and server is not OpenSSH or compatible version"
        )
      );
    }
    function getKeyAlgos(client, key, serverSigAlgs) {
      switch (key.type) {
        case "ssh-rsa":
          if (client._protocol._compatFlags & COMPAT.IMPLY_RSA_SHA2_SIGALGS && (Array.isArray(serverSigAlgs) ? serverSigAlgs = ["rsa-sha2-256", "rsa-sha2-512", ...serverSigAlgs] : serverSigAlgs = ["rsa-sha2-256", "rsa-sha2-512"]), Array.isArray(serverSigAlgs)) {
            if (serverSigAlgs.indexOf("rsa-sha2-256") !== -1)
              return [["rsa-sha2-256", "sha256"]];
            if (serverSigAlgs.indexOf("rsa-sha2-512") !== -1)
              return [["rsa-sha2-512", "sha512"]];
            if (serverSigAlgs.indexOf("ssh-rsa") === -1)
              return [];
          }
          return [["ssh-rsa", "sha1"]];
      }
    }
    module.exports = Client;
  }
});

// node_modules/ssh2/lib/http-agents.js
var require_http_agents = __commonJS({
  "node_modules/ssh2/lib/http-agents.js"(exports) {
    "use strict";
    var { Agent: HttpAgent } = __require("http"), { Agent: HttpsAgent } = __require("https"), { connect: tlsConnect } = __require("tls"), Client;
    for (let ctor of [HttpAgent, HttpsAgent]) {
      class SSHAgent extends ctor {
        constructor(connectCfg, agentOptions) {
          super(agentOptions), this._connectCfg = connectCfg, this._defaultSrcIP = agentOptions && agentOptions.srcIP || "localhost";
        }
        createConnection(options, cb) {
          let srcIP = options && options.localAddress || this._defaultSrcIP, srcPort = options && options.localPort || 0, dstIP = options.host, dstPort = options.port;
          Client === void 0 && (Client = require_client());
          let client = new Client(), triedForward = !1;
          client.on("ready", () => {
            client.forwardOut(srcIP, srcPort, dstIP, dstPort, (err, stream) => {
              if (triedForward = !0, err)
                return client.end(), cb(err);
              stream.once("close", () => client.end()), cb(null, decorateStream(stream, ctor, options));
            });
          }).on("error", cb).on("close", () => {
            triedForward || cb(new Error("Unexpected connection close"));
          }).connect(this._connectCfg);
        }
      }
      exports[ctor === HttpAgent ? "SSHTTPAgent" : "SSHTTPSAgent"] = SSHAgent;
    }
    function noop() {
    }
    function decorateStream(stream, ctor, options) {
      if (ctor === HttpAgent)
        return stream.setKeepAlive = noop, stream.setNoDelay = noop, stream.setTimeout = noop, stream.ref = noop, stream.unref = noop, stream.destroySoon = stream.destroy, stream;
      options.socket = stream;
      let wrapped = tlsConnect(options), onClose = /* @__PURE__ */ (() => {
        let called = !1;
        return () => {
          called || (called = !0, stream.isPaused() && stream.resume());
        };
      })();
      return wrapped.on("end", onClose).on("close", onClose), wrapped;
    }
  }
});

// node_modules/ssh2/lib/server.js
var require_server = __commonJS({
  "node_modules/ssh2/lib/server.js"(exports, module) {
    "use strict";
    var { Server: netServer } = __require("net"), EventEmitter = __require("events"), { listenerCount } = EventEmitter, {
      CHANNEL_OPEN_FAILURE,
      DEFAULT_CIPHER,
      DEFAULT_COMPRESSION,
      DEFAULT_KEX,
      DEFAULT_MAC,
      DEFAULT_SERVER_HOST_KEY,
      DISCONNECT_REASON,
      DISCONNECT_REASON_BY_VALUE,
      SUPPORTED_CIPHER,
      SUPPORTED_COMPRESSION,
      SUPPORTED_KEX,
      SUPPORTED_MAC,
      SUPPORTED_SERVER_HOST_KEY
    } = require_constants(), { init: cryptoInit } = require_crypto(), { KexInit } = require_kex(), { parseKey } = require_keyParser(), Protocol = require_Protocol(), { SFTP } = require_SFTP(), { writeUInt32BE } = require_utils(), {
      Channel,
      MAX_WINDOW,
      PACKET_SIZE,
      windowAdjust,
      WINDOW_THRESHOLD
    } = require_Channel(), {
      ChannelManager,
      generateAlgorithmList,
      isWritable,
      onChannelOpenFailure,
      onCHANNEL_CLOSE
    } = require_utils2(), MAX_PENDING_AUTHS = 10, AuthContext = class extends EventEmitter {
      constructor(protocol, username, service, method, cb) {
        super(), this.username = this.user = username, this.service = service, this.method = method, this._initialResponse = !1, this._finalResponse = !1, this._multistep = !1, this._cbfinal = (allowed, methodsLeft, isPartial) => {
          this._finalResponse || (this._finalResponse = !0, cb(this, allowed, methodsLeft, isPartial));
        }, this._protocol = protocol;
      }
      accept() {
        this._cleanup && this._cleanup(), this._initialResponse = !0, this._cbfinal(!0);
      }
      reject(methodsLeft, isPartial) {
        this._cleanup && this._cleanup(), this._initialResponse = !0, this._cbfinal(!1, methodsLeft, isPartial);
      }
    }, KeyboardAuthContext = class extends AuthContext {
      constructor(protocol, username, service, method, submethods, cb) {
        super(protocol, username, service, method, cb), this._multistep = !0, this._cb = void 0, this._onInfoResponse = (responses) => {
          let callback = this._cb;
          callback && (this._cb = void 0, callback(responses));
        }, this.submethods = submethods, this.on("abort", () => {
          this._cb && this._cb(new Error("Authentication request aborted"));
        });
      }
      prompt(prompts, title, instructions, cb) {
        Array.isArray(prompts) || (prompts = [prompts]), typeof title == "function" ? (cb = title, title = instructions = void 0) : typeof instructions == "function" ? (cb = instructions, instructions = void 0) : typeof cb != "function" && (cb = void 0);
        for (let i = 0; i < prompts.length; ++i)
          typeof prompts[i] == "string" && (prompts[i] = {
            prompt: prompts[i],
            echo: !0
          });
        this._cb = cb, this._initialResponse = !0, this._protocol.authInfoReq(title, instructions, prompts);
      }
    }, PKAuthContext = class extends AuthContext {
      constructor(protocol, username, service, method, pkInfo, cb) {
        super(protocol, username, service, method, cb), this.key = { algo: pkInfo.keyAlgo, data: pkInfo.key }, this.hashAlgo = pkInfo.hashAlgo, this.signature = pkInfo.signature, this.blob = pkInfo.blob;
      }
      accept() {
        this.signature ? AuthContext.prototype.accept.call(this) : (this._initialResponse = !0, this._protocol.authPKOK(this.key.algo, this.key.data));
      }
    }, HostbasedAuthContext = class extends AuthContext {
      constructor(protocol, username, service, method, pkInfo, cb) {
        super(protocol, username, service, method, cb), this.key = { algo: pkInfo.keyAlgo, data: pkInfo.key }, this.hashAlgo = pkInfo.hashAlgo, this.signature = pkInfo.signature, this.blob = pkInfo.blob, this.localHostname = pkInfo.localHostname, this.localUsername = pkInfo.localUsername;
      }
    }, PwdAuthContext = class extends AuthContext {
      constructor(protocol, username, service, method, password, cb) {
        super(protocol, username, service, method, cb), this.password = password, this._changeCb = void 0;
      }
      requestChange(prompt, cb) {
        if (this._changeCb)
          throw new Error("Change request already in progress");
        if (typeof prompt != "string")
          throw new Error("prompt argument must be a string");
        if (typeof cb != "function")
          throw new Error("Callback argument must be a function");
        this._changeCb = cb, this._protocol.authPasswdChg(prompt);
      }
    }, Session = class extends EventEmitter {
      constructor(client, info, localChan) {
        super(), this.type = "session", this.subtype = void 0, this.server = !0, this._ending = !1, this._channel = void 0, this._chanInfo = {
          type: "session",
          incoming: {
            id: localChan,
            window: MAX_WINDOW,
            packetSize: PACKET_SIZE,
            state: "open"
          },
          outgoing: {
            id: info.sender,
            window: info.window,
            packetSize: info.packetSize,
            state: "open"
          }
        };
      }
    }, Server = class extends EventEmitter {
      constructor(cfg, listener) {
        if (super(), typeof cfg != "object" || cfg === null)
          throw new Error("Missing configuration object");
        let hostKeys = /* @__PURE__ */ Object.create(null), hostKeyAlgoOrder = [], hostKeys_ = cfg.hostKeys;
        if (!Array.isArray(hostKeys_))
          throw new Error("hostKeys must be an array");
        let cfgAlgos = typeof cfg.algorithms == "object" && cfg.algorithms !== null ? cfg.algorithms : {}, hostKeyAlgos = generateAlgorithmList(
          cfgAlgos.serverHostKey,
          DEFAULT_SERVER_HOST_KEY,
          SUPPORTED_SERVER_HOST_KEY
        );
        for (let i = 0; i < hostKeys_.length; ++i) {
          let privateKey2;
          if (Buffer.isBuffer(hostKeys_[i]) || typeof hostKeys_[i] == "string" ? privateKey2 = parseKey(hostKeys_[i]) : privateKey2 = parseKey(hostKeys_[i].key, hostKeys_[i].passphrase), privateKey2 instanceof Error)
            throw new Error(`Cannot parse privateKey: ${privateKey2.message}`);
          if (Array.isArray(privateKey2) && (privateKey2 = privateKey2[0]), privateKey2.getPrivatePEM() === null)
            throw new Error("privateKey value contains an invalid private key");
          if (!hostKeyAlgoOrder.includes(privateKey2.type))
            if (privateKey2.type === "ssh-rsa") {
              let sha1Pos = hostKeyAlgos.indexOf("ssh-rsa"), sha256Pos = hostKeyAlgos.indexOf("rsa-sha2-256"), sha512Pos = hostKeyAlgos.indexOf("rsa-sha2-512");
              sha1Pos === -1 && (sha1Pos = 1 / 0), [sha1Pos, sha256Pos, sha512Pos].sort(compareNumbers).forEach((pos) => {
                if (pos === -1)
                  return;
                let type;
                switch (pos) {
                  case sha1Pos:
                    type = "ssh-rsa";
                    break;
                  case sha256Pos:
                    type = "rsa-sha2-256";
                    break;
                  case sha512Pos:
                    type = "rsa-sha2-512";
                    break;
                  default:
                    return;
                }
                hostKeys[type] = privateKey2, hostKeyAlgoOrder.push(type);
              });
            } else
              hostKeys[privateKey2.type] = privateKey2, hostKeyAlgoOrder.push(privateKey2.type);
        }
        let algorithms = {
          kex: generateAlgorithmList(
            cfgAlgos.kex,
            DEFAULT_KEX,
            SUPPORTED_KEX
          ).concat(["kex-strict-s-v00@openssh.com"]),
          serverHostKey: hostKeyAlgoOrder,
          cs: {
            cipher: generateAlgorithmList(
              cfgAlgos.cipher,
              DEFAULT_CIPHER,
              SUPPORTED_CIPHER
            ),
            mac: generateAlgorithmList(cfgAlgos.hmac, DEFAULT_MAC, SUPPORTED_MAC),
            compress: generateAlgorithmList(
              cfgAlgos.compress,
              DEFAULT_COMPRESSION,
              SUPPORTED_COMPRESSION
            ),
            lang: []
          },
          sc: void 0
        };
        algorithms.sc = algorithms.cs, typeof listener == "function" && this.on("connection", listener);
        let origDebug = typeof cfg.debug == "function" ? cfg.debug : void 0, ident = cfg.ident ? Buffer.from(cfg.ident) : void 0, offer = new KexInit(algorithms);
        this._srv = new netServer((socket) => {
          if (this._connections >= this.maxConnections) {
            socket.destroy();
            return;
          }
          ++this._connections, socket.once("close", () => {
            --this._connections;
          });
          let debug;
          if (origDebug) {
            let debugPrefix = `[${process.hrtime().join(".")}] `;
            debug = (msg) => {
              origDebug(`${debugPrefix}${msg}`);
            };
          }
          new Client(socket, hostKeys, ident, offer, debug, this, cfg);
        }).on("error", (err) => {
          this.emit("error", err);
        }).on("listening", () => {
          this.emit("listening");
        }).on("close", () => {
          this.emit("close");
        }), this._connections = 0, this.maxConnections = 1 / 0;
      }
      injectSocket(socket) {
        this._srv.emit("connection", socket);
      }
      listen(...args) {
        return this._srv.listen(...args), this;
      }
      address() {
        return this._srv.address();
      }
      getConnections(cb) {
        return this._srv.getConnections(cb), this;
      }
      close(cb) {
        return this._srv.close(cb), this;
      }
      ref() {
        return this._srv.ref(), this;
      }
      unref() {
        return this._srv.unref(), this;
      }
    };
    Server.KEEPALIVE_CLIENT_INTERVAL = 15e3;
    Server.KEEPALIVE_CLIENT_COUNT_MAX = 3;
    var Client = class extends EventEmitter {
      constructor(socket, hostKeys, ident, offer, debug, server, srvCfg) {
        super();
        let exchanges = 0, acceptedAuthSvc = !1, pendingAuths = [], authCtx, kaTimer, onPacket, unsentGlobalRequestsReplies = [];
        this._sock = socket, this._chanMgr = new ChannelManager(this), this._debug = debug, this.noMoreSessions = !1, this.authenticated = !1;
        function onClientPreHeaderError(err) {
        }
        this.on("error", onClientPreHeaderError);
        let DEBUG_HANDLER = debug ? (p, display, msg) => {
          debug(`Debug output from client: ${JSON.stringify(msg)}`);
        } : void 0, kaIntvl = typeof srvCfg.keepaliveInterval == "number" && isFinite(srvCfg.keepaliveInterval) && srvCfg.keepaliveInterval > 0 ? srvCfg.keepaliveInterval : typeof Server.KEEPALIVE_CLIENT_INTERVAL == "number" && isFinite(Server.KEEPALIVE_CLIENT_INTERVAL) && Server.KEEPALIVE_CLIENT_INTERVAL > 0 ? Server.KEEPALIVE_CLIENT_INTERVAL : -1, kaCountMax = typeof srvCfg.keepaliveCountMax == "number" && isFinite(srvCfg.keepaliveCountMax) && srvCfg.keepaliveCountMax >= 0 ? srvCfg.keepaliveCountMax : typeof Server.KEEPALIVE_CLIENT_COUNT_MAX == "number" && isFinite(Server.KEEPALIVE_CLIENT_COUNT_MAX) && Server.KEEPALIVE_CLIENT_COUNT_MAX >= 0 ? Server.KEEPALIVE_CLIENT_COUNT_MAX : -1, kaCurCount = 0;
        kaIntvl !== -1 && kaCountMax !== -1 && (this.once("ready", () => {
          let onClose = () => {
            clearInterval(kaTimer);
          };
          this.on("close", onClose).on("end", onClose), kaTimer = setInterval(() => {
            if (++kaCurCount > kaCountMax) {
              clearInterval(kaTimer);
              let err = new Error("Keepalive timeout");
              err.level = "client-timeout", this.emit("error", err), this.end();
            } else
              proto.ping();
          }, kaIntvl);
        }), onPacket = () => {
          kaTimer && kaTimer.refresh(), kaCurCount = 0;
        });
        let proto = this._protocol = new Protocol({
          server: !0,
          hostKeys,
          ident,
          offer,
          onPacket,
          greeting: srvCfg.greeting,
          banner: srvCfg.banner,
          onWrite: (data) => {
            isWritable(socket) && socket.write(data);
          },
          onError: (err) => {
            proto._destruct || socket.removeAllListeners("data"), this.emit("error", err);
            try {
              socket.end();
            } catch {
            }
          },
          onHeader: (header) => {
            this.removeListener("error", onClientPreHeaderError);
            let info = {
              ip: socket.remoteAddress,
              family: socket.remoteFamily,
              port: socket.remotePort,
              header
            };
            if (!server.emit("connection", this, info)) {
              proto.disconnect(DISCONNECT_REASON.BY_APPLICATION), socket.end();
              return;
            }
            header.greeting && this.emit("greeting", header.greeting);
          },
          onHandshakeComplete: (negotiated) => {
            ++exchanges > 1 && this.emit("rekey"), this.emit("handshake", negotiated);
          },
          debug,
          messageHandlers: {
            DEBUG: DEBUG_HANDLER,
            DISCONNECT: (p, reason, desc) => {
              if (reason !== DISCONNECT_REASON.BY_APPLICATION) {
                desc || (desc = DISCONNECT_REASON_BY_VALUE[reason], desc === void 0 && (desc = `Unexpected disconnection reason: ${reason}`));
                let err = new Error(desc);
                err.code = reason, this.emit("error", err);
              }
              socket.end();
            },
            CHANNEL_OPEN: (p, info) => {
              if (info.type === "session" && this.noMoreSessions || !this.authenticated) {
                let reasonCode = CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED;
                return proto.channelOpenFail(info.sender, reasonCode);
              }
              let localChan = -1, reason, replied = !1, accept, reject = () => {
                replied || (replied = !0, reason === void 0 && (localChan === -1 ? reason = CHANNEL_OPEN_FAILURE.RESOURCE_SHORTAGE : reason = CHANNEL_OPEN_FAILURE.CONNECT_FAILED), localChan !== -1 && this._chanMgr.remove(localChan), proto.channelOpenFail(info.sender, reason, ""));
              }, reserveChannel = () => (localChan = this._chanMgr.add(), localChan === -1 && (reason = CHANNEL_OPEN_FAILURE.RESOURCE_SHORTAGE, debug && debug("Automatic rejection of incoming channel open: no channels available")), localChan !== -1), data = info.data;
              switch (info.type) {
                case "session":
                  if (listenerCount(this, "session") && reserveChannel()) {
                    accept = () => {
                      if (replied)
                        return;
                      replied = !0;
                      let instance = new Session(this, info, localChan);
                      return this._chanMgr.update(localChan, instance), proto.channelOpenConfirm(
                        info.sender,
                        localChan,
                        MAX_WINDOW,
                        PACKET_SIZE
                      ), instance;
                    }, this.emit("session", accept, reject);
                    return;
                  }
                  break;
                case "direct-tcpip":
                  if (listenerCount(this, "tcpip") && reserveChannel()) {
                    accept = () => {
                      if (replied)
                        return;
                      replied = !0;
                      let chanInfo = {
                        type: void 0,
                        incoming: {
                          id: localChan,
                          window: MAX_WINDOW,
                          packetSize: PACKET_SIZE,
                          state: "open"
                        },
                        outgoing: {
                          id: info.sender,
                          window: info.window,
                          packetSize: info.packetSize,
                          state: "open"
                        }
                      }, stream = new Channel(this, chanInfo, { server: !0 });
                      return this._chanMgr.update(localChan, stream), proto.channelOpenConfirm(
                        info.sender,
                        localChan,
                        MAX_WINDOW,
                        PACKET_SIZE
                      ), stream;
                    }, this.emit("tcpip", accept, reject, data);
                    return;
                  }
                  break;
                case "direct-streamlocal@openssh.com":
                  if (listenerCount(this, "openssh.streamlocal") && reserveChannel()) {
                    accept = () => {
                      if (replied)
                        return;
                      replied = !0;
                      let chanInfo = {
                        type: void 0,
                        incoming: {
                          id: localChan,
                          window: MAX_WINDOW,
                          packetSize: PACKET_SIZE,
                          state: "open"
                        },
                        outgoing: {
                          id: info.sender,
                          window: info.window,
                          packetSize: info.packetSize,
                          state: "open"
                        }
                      }, stream = new Channel(this, chanInfo, { server: !0 });
                      return this._chanMgr.update(localChan, stream), proto.channelOpenConfirm(
                        info.sender,
                        localChan,
                        MAX_WINDOW,
                        PACKET_SIZE
                      ), stream;
                    }, this.emit("openssh.streamlocal", accept, reject, data);
                    return;
                  }
                  break;
                default:
                  reason = CHANNEL_OPEN_FAILURE.UNKNOWN_CHANNEL_TYPE, debug && debug(`Automatic rejection of unsupported incoming channel open type: ${info.type}`);
              }
              reason === void 0 && (reason = CHANNEL_OPEN_FAILURE.ADMINISTRATIVELY_PROHIBITED, debug && debug(`Automatic rejection of unexpected incoming channel open for: ${info.type}`)), reject();
            },
            CHANNEL_OPEN_CONFIRMATION: (p, info) => {
              let channel = this._chanMgr.get(info.recipient);
              if (typeof channel != "function")
                return;
              let chanInfo = {
                type: channel.type,
                incoming: {
                  id: info.recipient,
                  window: MAX_WINDOW,
                  packetSize: PACKET_SIZE,
                  state: "open"
                },
                outgoing: {
                  id: info.sender,
                  window: info.window,
                  packetSize: info.packetSize,
                  state: "open"
                }
              }, instance = new Channel(this, chanInfo, { server: !0 });
              this._chanMgr.update(info.recipient, instance), channel(void 0, instance);
            },
            CHANNEL_OPEN_FAILURE: (p, recipient, reason, description) => {
              let channel = this._chanMgr.get(recipient);
              if (typeof channel != "function")
                return;
              onChannelOpenFailure(this, recipient, { reason, description }, channel);
            },
            CHANNEL_DATA: (p, recipient, data) => {
              let channel = this._chanMgr.get(recipient);
              if (!(typeof channel != "object" || channel === null) && !(channel.constructor === Session && (channel = channel._channel, !channel)) && channel.incoming.window !== 0) {
                if (channel.incoming.window -= data.length, channel.push(data) === !1) {
                  channel._waitChanDrain = !0;
                  return;
                }
                channel.incoming.window <= WINDOW_THRESHOLD && windowAdjust(channel);
              }
            },
            CHANNEL_EXTENDED_DATA: (p, recipient, data, type) => {
            },
            CHANNEL_WINDOW_ADJUST: (p, recipient, amount) => {
              let channel = this._chanMgr.get(recipient);
              typeof channel != "object" || channel === null || channel.constructor === Session && (channel = channel._channel, !channel) || (channel.outgoing.window += amount, channel._waitWindow && (channel._waitWindow = !1, channel._chunk ? channel._write(channel._chunk, null, channel._chunkcb) : channel._chunkcb ? channel._chunkcb() : channel._chunkErr ? channel.stderr._write(
                channel._chunkErr,
                null,
                channel._chunkcbErr
              ) : channel._chunkcbErr && channel._chunkcbErr()));
            },
            CHANNEL_SUCCESS: (p, recipient) => {
              let channel = this._chanMgr.get(recipient);
              typeof channel != "object" || channel === null || channel.constructor === Session && (channel = channel._channel, !channel) || channel._callbacks.length && channel._callbacks.shift()(!1);
            },
            CHANNEL_FAILURE: (p, recipient) => {
              let channel = this._chanMgr.get(recipient);
              typeof channel != "object" || channel === null || channel.constructor === Session && (channel = channel._channel, !channel) || channel._callbacks.length && channel._callbacks.shift()(!0);
            },
            CHANNEL_REQUEST: (p, recipient, type, wantReply, data) => {
              let session = this._chanMgr.get(recipient);
              if (typeof session != "object" || session === null)
                return;
              let replied = !1, accept, reject;
              if (session.constructor !== Session) {
                wantReply && proto.channelFailure(session.outgoing.id);
                return;
              }
              if (wantReply && (type !== "shell" && type !== "exec" && type !== "subsystem" && (accept = () => {
                replied || session._ending || session._channel || (replied = !0, proto.channelSuccess(session._chanInfo.outgoing.id));
              }), reject = () => {
                replied || session._ending || session._channel || (replied = !0, proto.channelFailure(session._chanInfo.outgoing.id));
              }), session._ending) {
                reject && reject();
                return;
              }
              switch (type) {
                // "pre-real session start" requests
                case "env":
                  if (listenerCount(session, "env")) {
                    session.emit("env", accept, reject, {
                      key: data.name,
                      val: data.value
                    });
                    return;
                  }
                  break;
                case "pty-req":
                  if (listenerCount(session, "pty")) {
                    session.emit("pty", accept, reject, data);
                    return;
                  }
                  break;
                case "window-change":
                  listenerCount(session, "window-change") ? session.emit("window-change", accept, reject, data) : reject && reject();
                  break;
                case "x11-req":
                  if (listenerCount(session, "x11")) {
                    session.emit("x11", accept, reject, data);
                    return;
                  }
                  break;
                // "post-real session start" requests
                case "signal":
                  if (listenerCount(session, "signal")) {
                    session.emit("signal", accept, reject, {
                      name: data
                    });
                    return;
                  }
                  break;
                // XXX: is `auth-agent-req@openssh.com` really "post-real session
                // start"?
                case "auth-agent-req@openssh.com":
                  if (listenerCount(session, "auth-agent")) {
                    session.emit("auth-agent", accept, reject);
                    return;
                  }
                  break;
                // "real session start" requests
                case "shell":
                  if (listenerCount(session, "shell")) {
                    accept = () => {
                      if (replied || session._ending || session._channel)
                        return;
                      replied = !0, wantReply && proto.channelSuccess(session._chanInfo.outgoing.id);
                      let channel = new Channel(
                        this,
                        session._chanInfo,
                        { server: !0 }
                      );
                      return channel.subtype = session.subtype = type, session._channel = channel, channel;
                    }, session.emit("shell", accept, reject);
                    return;
                  }
                  break;
                case "exec":
                  if (listenerCount(session, "exec")) {
                    accept = () => {
                      if (replied || session._ending || session._channel)
                        return;
                      replied = !0, wantReply && proto.channelSuccess(session._chanInfo.outgoing.id);
                      let channel = new Channel(
                        this,
                        session._chanInfo,
                        { server: !0 }
                      );
                      return channel.subtype = session.subtype = type, session._channel = channel, channel;
                    }, session.emit("exec", accept, reject, {
                      command: data
                    });
                    return;
                  }
                  break;
                case "subsystem": {
                  let useSFTP = data === "sftp";
                  if (accept = () => {
                    if (replied || session._ending || session._channel)
                      return;
                    replied = !0, wantReply && proto.channelSuccess(session._chanInfo.outgoing.id);
                    let instance;
                    return useSFTP ? instance = new SFTP(this, session._chanInfo, {
                      server: !0,
                      debug
                    }) : (instance = new Channel(
                      this,
                      session._chanInfo,
                      { server: !0 }
                    ), instance.subtype = session.subtype = `${type}:${data}`), session._channel = instance, instance;
                  }, data === "sftp") {
                    if (listenerCount(session, "sftp")) {
                      session.emit("sftp", accept, reject);
                      return;
                    }
                    useSFTP = !1;
                  }
                  if (listenerCount(session, "subsystem")) {
                    session.emit("subsystem", accept, reject, {
                      name: data
                    });
                    return;
                  }
                  break;
                }
              }
              debug && debug(
                `Automatic rejection of incoming channel request: ${type}`
              ), reject && reject();
            },
            CHANNEL_EOF: (p, recipient) => {
              let channel = this._chanMgr.get(recipient);
              typeof channel != "object" || channel === null || channel.constructor === Session && (channel._ending || (channel._ending = !0, channel.emit("eof"), channel.emit("end")), channel = channel._channel, !channel) || channel.incoming.state === "open" && (channel.incoming.state = "eof", channel.readable && channel.push(null));
            },
            CHANNEL_CLOSE: (p, recipient) => {
              let channel = this._chanMgr.get(recipient);
              typeof channel != "object" || channel === null || channel.constructor === Session && (channel._ending = !0, channel.emit("close"), channel = channel._channel, !channel) || onCHANNEL_CLOSE(this, recipient, channel);
            },
            // Begin service/auth-related ==========================================
            SERVICE_REQUEST: (p, service) => {
              if (exchanges === 0 || acceptedAuthSvc || this.authenticated || service !== "ssh-userauth") {
                proto.disconnect(DISCONNECT_REASON.SERVICE_NOT_AVAILABLE), socket.end();
                return;
              }
              acceptedAuthSvc = !0, proto.serviceAccept(service);
            },
            USERAUTH_REQUEST: (p, username, service, method, methodData) => {
              if (exchanges === 0 || this.authenticated || authCtx && (authCtx.username !== username || authCtx.service !== service) || method !== "password" && method !== "publickey" && method !== "hostbased" && method !== "keyboard-interactive" && method !== "none" || pendingAuths.length === MAX_PENDING_AUTHS) {
                proto.disconnect(DISCONNECT_REASON.PROTOCOL_ERROR), socket.end();
                return;
              } else if (service !== "ssh-connection") {
                proto.disconnect(DISCONNECT_REASON.SERVICE_NOT_AVAILABLE), socket.end();
                return;
              }
              let ctx;
              switch (method) {
                case "keyboard-interactive":
                  ctx = new KeyboardAuthContext(
                    proto,
                    username,
                    service,
                    method,
                    methodData,
                    onAuthDecide
                  );
                  break;
                case "publickey":
                  ctx = new PKAuthContext(
                    proto,
                    username,
                    service,
                    method,
                    methodData,
                    onAuthDecide
                  );
                  break;
                case "hostbased":
                  ctx = new HostbasedAuthContext(
                    proto,
                    username,
                    service,
                    method,
                    methodData,
                    onAuthDecide
                  );
                  break;
                case "password":
                  if (authCtx && authCtx instanceof PwdAuthContext && authCtx._changeCb) {
                    let cb = authCtx._changeCb;
                    authCtx._changeCb = void 0, cb(methodData.newPassword);
                    return;
                  }
                  ctx = new PwdAuthContext(
                    proto,
                    username,
                    service,
                    method,
                    methodData,
                    onAuthDecide
                  );
                  break;
                case "none":
                  ctx = new AuthContext(
                    proto,
                    username,
                    service,
                    method,
                    onAuthDecide
                  );
                  break;
              }
              if (authCtx)
                if (authCtx._initialResponse)
                  authCtx._multistep && !authCtx._finalResponse && (authCtx._cleanup && authCtx._cleanup(), authCtx.emit("abort"));
                else return pendingAuths.push(ctx);
              authCtx = ctx, listenerCount(this, "authentication") ? this.emit("authentication", authCtx) : authCtx.reject();
            },
            USERAUTH_INFO_RESPONSE: (p, responses) => {
              authCtx && authCtx instanceof KeyboardAuthContext && authCtx._onInfoResponse(responses);
            },
            // End service/auth-related ============================================
            GLOBAL_REQUEST: (p, name, wantReply, data) => {
              let reply = {
                type: null,
                buf: null
              };
              function setReply(type, buf) {
                reply.type = type, reply.buf = buf, sendReplies();
              }
              if (wantReply && unsentGlobalRequestsReplies.push(reply), (name === "tcpip-forward" || name === "cancel-tcpip-forward" || name === "no-more-sessions@openssh.com" || name === "streamlocal-forward@openssh.com" || name === "cancel-streamlocal-forward@openssh.com") && listenerCount(this, "request") && this.authenticated) {
                let accept, reject;
                if (wantReply) {
                  let replied = !1;
                  accept = (chosenPort) => {
                    if (replied)
                      return;
                    replied = !0;
                    let bufPort;
                    name === "tcpip-forward" && data.bindPort === 0 && typeof chosenPort == "number" && (bufPort = Buffer.allocUnsafe(4), writeUInt32BE(bufPort, chosenPort, 0)), setReply("SUCCESS", bufPort);
                  }, reject = () => {
                    replied || (replied = !0, setReply("FAILURE"));
                  };
                }
                if (name === "no-more-sessions@openssh.com") {
                  this.noMoreSessions = !0, accept && accept();
                  return;
                }
                this.emit("request", accept, reject, name, data);
              } else wantReply && setReply("FAILURE");
            }
          }
        });
        socket.pause(), cryptoInit.then(() => {
          proto.start(), socket.on("data", (data) => {
            try {
              proto.parse(data, 0, data.length);
            } catch (ex) {
              this.emit("error", ex);
              try {
                isWritable(socket) && socket.end();
              } catch {
              }
            }
          }), socket.resume();
        }).catch((err) => {
          this.emit("error", err);
          try {
            isWritable(socket) && socket.end();
          } catch {
          }
        }), socket.on("error", (err) => {
          err.level = "socket", this.emit("error", err);
        }).once("end", () => {
          debug && debug("Socket ended"), proto.cleanup(), this.emit("end");
        }).once("close", () => {
          debug && debug("Socket closed"), proto.cleanup(), this.emit("close");
          let err = new Error("No response from server");
          this._chanMgr.cleanup(err);
        });
        let onAuthDecide = (ctx, allowed, methodsLeft, isPartial) => {
          authCtx === ctx && !this.authenticated && (allowed ? (authCtx = void 0, this.authenticated = !0, proto.authSuccess(), pendingAuths = [], this.emit("ready")) : (proto.authFailure(methodsLeft, isPartial), pendingAuths.length && (authCtx = pendingAuths.pop(), listenerCount(this, "authentication") ? this.emit("authentication", authCtx) : authCtx.reject())));
        };
        function sendReplies() {
          for (; unsentGlobalRequestsReplies.length > 0 && unsentGlobalRequestsReplies[0].type; ) {
            let reply = unsentGlobalRequestsReplies.shift();
            reply.type === "SUCCESS" && proto.requestSuccess(reply.buf), reply.type === "FAILURE" && proto.requestFailure();
          }
        }
      }
      end() {
        return this._sock && isWritable(this._sock) && (this._protocol.disconnect(DISCONNECT_REASON.BY_APPLICATION), this._sock.end()), this;
      }
      x11(originAddr, originPort, cb) {
        return openChannel(this, "x11", { originAddr, originPort }, cb), this;
      }
      forwardOut(boundAddr, boundPort, remoteAddr, remotePort, cb) {
        return openChannel(this, "forwarded-tcpip", { boundAddr, boundPort, remoteAddr, remotePort }, cb), this;
      }
      openssh_forwardOutStreamLocal(socketPath, cb) {
        return openChannel(this, "forwarded-streamlocal@openssh.com", { socketPath }, cb), this;
      }
      rekey(cb) {
        let error;
        try {
          this._protocol.rekey();
        } catch (ex) {
          error = ex;
        }
        typeof cb == "function" && (error ? process.nextTick(cb, error) : this.once("rekey", cb));
      }
      setNoDelay(noDelay) {
        return this._sock && typeof this._sock.setNoDelay == "function" && this._sock.setNoDelay(noDelay), this;
      }
    };
    function openChannel(self2, type, opts, cb) {
      let initWindow = MAX_WINDOW, maxPacket = PACKET_SIZE;
      typeof opts == "function" && (cb = opts, opts = {});
      let wrapper = (err, stream) => {
        cb(err, stream);
      };
      wrapper.type = type;
      let localChan = self2._chanMgr.add(wrapper);
      if (localChan === -1) {
        cb(new Error("No free channels available"));
        return;
      }
      switch (type) {
        case "forwarded-tcpip":
          self2._protocol.forwardedTcpip(localChan, initWindow, maxPacket, opts);
          break;
        case "x11":
          self2._protocol.x11(localChan, initWindow, maxPacket, opts);
          break;
        case "forwarded-streamlocal@openssh.com":
          self2._protocol.openssh_forwardedStreamLocal(
            localChan,
            initWindow,
            maxPacket,
            opts
          );
          break;
        default:
          throw new Error(`Unsupported channel type: ${type}`);
      }
    }
    function compareNumbers(a, b) {
      return a - b;
    }
    module.exports = Server;
    module.exports.IncomingClient = Client;
  }
});

// node_modules/ssh2/lib/keygen.js
var require_keygen = __commonJS({
  "node_modules/ssh2/lib/keygen.js"(exports, module) {
    "use strict";
    var {
      createCipheriv,
      generateKeyPair: generateKeyPair_,
      generateKeyPairSync: generateKeyPairSync_,
      getCurves,
      randomBytes: randomBytes3
    } = __require("crypto"), { Ber } = require_lib(), bcrypt_pbkdf = require_bcrypt_pbkdf().pbkdf, { CIPHER_INFO } = require_crypto(), SALT_LEN = 16, DEFAULT_ROUNDS = 16, curves = getCurves(), ciphers = new Map(Object.entries(CIPHER_INFO));
    function makeArgs(type, opts) {
      if (typeof type != "string")
        throw new TypeError("Key type must be a string");
      let publicKeyEncoding = { type: "spki", format: "der" }, privateKeyEncoding = { type: "pkcs8", format: "der" };
      switch (type.toLowerCase()) {
        case "rsa": {
          if (typeof opts != "object" || opts === null)
            throw new TypeError("Missing options object for RSA key");
          let modulusLength = opts.bits;
          if (!Number.isInteger(modulusLength))
            throw new TypeError("RSA bits must be an integer");
          if (modulusLength <= 0 || modulusLength > 16384)
            throw new RangeError("RSA bits must be non-zero and <= 16384");
          return ["rsa", { modulusLength, publicKeyEncoding, privateKeyEncoding }];
        }
        case "ecdsa": {
          if (typeof opts != "object" || opts === null)
            throw new TypeError("Missing options object for ECDSA key");
          if (!Number.isInteger(opts.bits))
            throw new TypeError("ECDSA bits must be an integer");
          let namedCurve;
          switch (opts.bits) {
            case 256:
              namedCurve = "prime256v1";
              break;
            case 384:
              namedCurve = "secp384r1";
              break;
            case 521:
              namedCurve = "secp521r1";
              break;
            default:
              throw new Error("ECDSA bits must be 256, 384, or 521");
          }
          if (!curves.includes(namedCurve))
            throw new Error("Unsupported ECDSA bits value");
          return ["ec", { namedCurve, publicKeyEncoding, privateKeyEncoding }];
        }
        case "ed25519":
          return ["ed25519", { publicKeyEncoding, privateKeyEncoding }];
        default:
          throw new Error(`Unsupported key type: ${type}`);
      }
    }
    function parseDERs(keyType, pub, priv) {
      switch (keyType) {
        case "rsa": {
          let reader = new Ber.Reader(priv);
          if (reader.readSequence(), reader.readInt() !== 0)
            throw new Error("Unsupported version in RSA private key");
          if (reader.readSequence(), reader.readOID() !== "1.2.840.113549.1.1.1")
            throw new Error("Bad RSA private OID");
          if (reader.readByte() !== Ber.Null)
            throw new Error("Malformed RSA private key (expected null)");
          if (reader.readByte() !== 0)
            throw new Error(
              "Malformed RSA private key (expected zero-length null)"
            );
          if (reader = new Ber.Reader(reader.readString(Ber.OctetString, !0)), reader.readSequence(), reader.readInt() !== 0)
            throw new Error("Unsupported version in RSA private key");
          let n = reader.readString(Ber.Integer, !0), e = reader.readString(Ber.Integer, !0), d = reader.readString(Ber.Integer, !0), p = reader.readString(Ber.Integer, !0), q = reader.readString(Ber.Integer, !0);
          reader.readString(Ber.Integer, !0), reader.readString(Ber.Integer, !0);
          let iqmp = reader.readString(Ber.Integer, !0), keyName = Buffer.from("ssh-rsa"), privBuf = Buffer.allocUnsafe(
            4 + keyName.length + 4 + n.length + 4 + e.length + 4 + d.length + 4 + iqmp.length + 4 + p.length + 4 + q.length
          ), pos = 0;
          privBuf.writeUInt32BE(keyName.length, pos += 0), privBuf.set(keyName, pos += 4), privBuf.writeUInt32BE(n.length, pos += keyName.length), privBuf.set(n, pos += 4), privBuf.writeUInt32BE(e.length, pos += n.length), privBuf.set(e, pos += 4), privBuf.writeUInt32BE(d.length, pos += e.length), privBuf.set(d, pos += 4), privBuf.writeUInt32BE(iqmp.length, pos += d.length), privBuf.set(iqmp, pos += 4), privBuf.writeUInt32BE(p.length, pos += iqmp.length), privBuf.set(p, pos += 4), privBuf.writeUInt32BE(q.length, pos += p.length), privBuf.set(q, pos += 4);
          let pubBuf = Buffer.allocUnsafe(
            4 + keyName.length + 4 + e.length + 4 + n.length
          );
          return pos = 0, pubBuf.writeUInt32BE(keyName.length, pos += 0), pubBuf.set(keyName, pos += 4), pubBuf.writeUInt32BE(e.length, pos += keyName.length), pubBuf.set(e, pos += 4), pubBuf.writeUInt32BE(n.length, pos += e.length), pubBuf.set(n, pos += 4), { sshName: keyName.toString(), priv: privBuf, pub: pubBuf };
        }
        case "ec": {
          let reader = new Ber.Reader(pub);
          if (reader.readSequence(), reader.readSequence(), reader.readOID() !== "1.2.840.10045.2.1")
            throw new Error("Bad ECDSA public OID");
          reader.readOID();
          let pubBin = reader.readString(Ber.BitString, !0);
          {
            let i = 0;
            for (; i < pubBin.length && pubBin[i] === 0; ++i) ;
            i > 0 && (pubBin = pubBin.slice(i));
          }
          if (reader = new Ber.Reader(priv), reader.readSequence(), reader.readInt() !== 0)
            throw new Error("Unsupported version in ECDSA private key");
          if (reader.readSequence(), reader.readOID() !== "1.2.840.10045.2.1")
            throw new Error("Bad ECDSA private OID");
          let curveOID = reader.readOID(), sshCurveName;
          switch (curveOID) {
            case "1.2.840.10045.3.1.7":
              sshCurveName = "nistp256";
              break;
            case "1.3.132.0.34":
              sshCurveName = "nistp384";
              break;
            case "1.3.132.0.35":
              sshCurveName = "nistp521";
              break;
            default:
              throw new Error("Unsupported curve in ECDSA private key");
          }
          if (reader = new Ber.Reader(reader.readString(Ber.OctetString, !0)), reader.readSequence(), reader.readInt() !== 1)
            throw new Error("Unsupported version in ECDSA private key");
          let privBin = Buffer.concat([
            Buffer.from([0]),
            reader.readString(Ber.OctetString, !0)
          ]), keyName = Buffer.from(`ecdsa-sha2-${sshCurveName}`);
          sshCurveName = Buffer.from(sshCurveName);
          let privBuf = Buffer.allocUnsafe(
            4 + keyName.length + 4 + sshCurveName.length + 4 + pubBin.length + 4 + privBin.length
          ), pos = 0;
          privBuf.writeUInt32BE(keyName.length, pos += 0), privBuf.set(keyName, pos += 4), privBuf.writeUInt32BE(sshCurveName.length, pos += keyName.length), privBuf.set(sshCurveName, pos += 4), privBuf.writeUInt32BE(pubBin.length, pos += sshCurveName.length), privBuf.set(pubBin, pos += 4), privBuf.writeUInt32BE(privBin.length, pos += pubBin.length), privBuf.set(privBin, pos += 4);
          let pubBuf = Buffer.allocUnsafe(
            4 + keyName.length + 4 + sshCurveName.length + 4 + pubBin.length
          );
          return pos = 0, pubBuf.writeUInt32BE(keyName.length, pos += 0), pubBuf.set(keyName, pos += 4), pubBuf.writeUInt32BE(sshCurveName.length, pos += keyName.length), pubBuf.set(sshCurveName, pos += 4), pubBuf.writeUInt32BE(pubBin.length, pos += sshCurveName.length), pubBuf.set(pubBin, pos += 4), { sshName: keyName.toString(), priv: privBuf, pub: pubBuf };
        }
        case "ed25519": {
          let reader = new Ber.Reader(pub);
          if (reader.readSequence(), reader.readSequence(), reader.readOID() !== "1.3.101.112")
            throw new Error("Bad ED25519 public OID");
          let pubBin = reader.readString(Ber.BitString, !0);
          {
            let i = 0;
            for (; i < pubBin.length && pubBin[i] === 0; ++i) ;
            i > 0 && (pubBin = pubBin.slice(i));
          }
          if (reader = new Ber.Reader(priv), reader.readSequence(), reader.readInt() !== 0)
            throw new Error("Unsupported version in ED25519 private key");
          if (reader.readSequence(), reader.readOID() !== "1.3.101.112")
            throw new Error("Bad ED25519 private OID");
          reader = new Ber.Reader(reader.readString(Ber.OctetString, !0));
          let privBin = reader.readString(Ber.OctetString, !0), keyName = Buffer.from("ssh-ed25519"), privBuf = Buffer.allocUnsafe(
            4 + keyName.length + 4 + pubBin.length + 4 + (privBin.length + pubBin.length)
          ), pos = 0;
          privBuf.writeUInt32BE(keyName.length, pos += 0), privBuf.set(keyName, pos += 4), privBuf.writeUInt32BE(pubBin.length, pos += keyName.length), privBuf.set(pubBin, pos += 4), privBuf.writeUInt32BE(
            privBin.length + pubBin.length,
            pos += pubBin.length
          ), privBuf.set(privBin, pos += 4), privBuf.set(pubBin, pos += privBin.length);
          let pubBuf = Buffer.allocUnsafe(
            4 + keyName.length + 4 + pubBin.length
          );
          return pos = 0, pubBuf.writeUInt32BE(keyName.length, pos += 0), pubBuf.set(keyName, pos += 4), pubBuf.writeUInt32BE(pubBin.length, pos += keyName.length), pubBuf.set(pubBin, pos += 4), { sshName: keyName.toString(), priv: privBuf, pub: pubBuf };
        }
      }
    }
    function convertKeys(keyType, pub, priv, opts) {
      let format = "new", encrypted, comment = "";
      if (typeof opts == "object" && opts !== null && (typeof opts.comment == "string" && opts.comment && (comment = opts.comment), typeof opts.format == "string" && opts.format && (format = opts.format), opts.passphrase)) {
        let passphrase;
        if (typeof opts.passphrase == "string")
          passphrase = Buffer.from(opts.passphrase);
        else if (Buffer.isBuffer(opts.passphrase))
          passphrase = opts.passphrase;
        else
          throw new Error("Invalid passphrase");
        if (opts.cipher === void 0)
          throw new Error("Missing cipher name");
        let cipher = ciphers.get(opts.cipher);
        if (cipher === void 0)
          throw new Error("Invalid cipher name");
        if (format === "new") {
          let rounds = DEFAULT_ROUNDS;
          if (opts.rounds !== void 0) {
            if (!Number.isInteger(opts.rounds))
              throw new TypeError("rounds must be an integer");
            opts.rounds > 0 && (rounds = opts.rounds);
          }
          let gen = Buffer.allocUnsafe(cipher.keyLen + cipher.ivLen), salt = randomBytes3(SALT_LEN);
          if (bcrypt_pbkdf(
            passphrase,
            passphrase.length,
            salt,
            salt.length,
            gen,
            gen.length,
            rounds
          ) !== 0)
            return new Error("Failed to generate information to encrypt key");
          let kdfOptions = Buffer.allocUnsafe(4 + salt.length + 4);
          {
            let pos = 0;
            kdfOptions.writeUInt32BE(salt.length, pos += 0), kdfOptions.set(salt, pos += 4), kdfOptions.writeUInt32BE(rounds, pos += salt.length);
          }
          encrypted = {
            cipher,
            cipherName: opts.cipher,
            kdfName: "bcrypt",
            kdfOptions,
            key: gen.slice(0, cipher.keyLen),
            iv: gen.slice(cipher.keyLen)
          };
        }
      }
      switch (format) {
        case "new": {
          let privateB64 = `-----BEGIN OPENSSH PRIVATE KEY-----
`, publicB64, cipherName = Buffer.from(encrypted ? encrypted.cipherName : "none"), kdfName = Buffer.from(encrypted ? encrypted.kdfName : "none"), kdfOptions = encrypted ? encrypted.kdfOptions : Buffer.alloc(0), blockLen = encrypted ? encrypted.cipher.blockLen : 8, parsed = parseDERs(keyType, pub, priv), checkInt = randomBytes3(4), commentBin = Buffer.from(comment), privBlobLen = 8 + parsed.priv.length + 4 + commentBin.length, padding = [];
          for (let i = 1; (privBlobLen + padding.length) % blockLen; ++i)
            padding.push(i & 255);
          padding = Buffer.from(padding);
          let privBlob = Buffer.allocUnsafe(privBlobLen + padding.length), extra;
          {
            let pos = 0;
            privBlob.set(checkInt, pos += 0), privBlob.set(checkInt, pos += 4), privBlob.set(parsed.priv, pos += 4), privBlob.writeUInt32BE(commentBin.length, pos += parsed.priv.length), privBlob.set(commentBin, pos += 4), privBlob.set(padding, pos += commentBin.length);
          }
          if (encrypted) {
            let options = { authTagLength: encrypted.cipher.authLen }, cipher = createCipheriv(
              encrypted.cipher.sslName,
              encrypted.key,
              encrypted.iv,
              options
            );
            cipher.setAutoPadding(!1), privBlob = Buffer.concat([cipher.update(privBlob), cipher.final()]), encrypted.cipher.authLen > 0 ? extra = cipher.getAuthTag() : extra = Buffer.alloc(0), encrypted.key.fill(0), encrypted.iv.fill(0);
          } else
            extra = Buffer.alloc(0);
          let magicBytes = Buffer.from("openssh-key-v1\0"), privBin = Buffer.allocUnsafe(
            magicBytes.length + 4 + cipherName.length + 4 + kdfName.length + 4 + kdfOptions.length + 4 + 4 + parsed.pub.length + 4 + privBlob.length + extra.length
          );
          {
            let pos = 0;
            privBin.set(magicBytes, pos += 0), privBin.writeUInt32BE(cipherName.length, pos += magicBytes.length), privBin.set(cipherName, pos += 4), privBin.writeUInt32BE(kdfName.length, pos += cipherName.length), privBin.set(kdfName, pos += 4), privBin.writeUInt32BE(kdfOptions.length, pos += kdfName.length), privBin.set(kdfOptions, pos += 4), privBin.writeUInt32BE(1, pos += kdfOptions.length), privBin.writeUInt32BE(parsed.pub.length, pos += 4), privBin.set(parsed.pub, pos += 4), privBin.writeUInt32BE(privBlob.length, pos += parsed.pub.length), privBin.set(privBlob, pos += 4), privBin.set(extra, pos += privBlob.length);
          }
          {
            let b64 = privBin.base64Slice(0, privBin.length), formatted = b64.replace(/.{64}/g, `$&
`);
            b64.length & 63 && (formatted += `
`), privateB64 += formatted;
          }
          {
            let b64 = parsed.pub.base64Slice(0, parsed.pub.length);
            publicB64 = `${parsed.sshName} ${b64}${comment ? ` ${comment}` : ""}`;
          }
          return privateB64 += `-----END OPENSSH PRIVATE KEY-----
`, {
            private: privateB64,
            public: publicB64
          };
        }
        default:
          throw new Error("Invalid output key format");
      }
    }
    function noop() {
    }
    module.exports = {
      generateKeyPair: (keyType, opts, cb) => {
        typeof opts == "function" && (cb = opts, opts = void 0), typeof cb != "function" && (cb = noop);
        let args = makeArgs(keyType, opts);
        generateKeyPair_(...args, (err, pub, priv) => {
          if (err)
            return cb(err);
          let ret;
          try {
            ret = convertKeys(args[0], pub, priv, opts);
          } catch (ex) {
            return cb(ex);
          }
          cb(null, ret);
        });
      },
      generateKeyPairSync: (keyType, opts) => {
        let args = makeArgs(keyType, opts), { publicKey: pub, privateKey: priv } = generateKeyPairSync_(...args);
        return convertKeys(args[0], pub, priv, opts);
      }
    };
  }
});

// node_modules/ssh2/lib/index.js
var require_lib2 = __commonJS({
  "node_modules/ssh2/lib/index.js"(exports, module) {
    "use strict";
    var {
      AgentProtocol,
      BaseAgent,
      createAgent,
      CygwinAgent,
      OpenSSHAgent,
      PageantAgent
    } = require_agent(), {
      SSHTTPAgent: HTTPAgent,
      SSHTTPSAgent: HTTPSAgent
    } = require_http_agents(), { parseKey } = require_keyParser(), {
      flagsToString,
      OPEN_MODE,
      STATUS_CODE,
      stringToFlags
    } = require_SFTP();
    module.exports = {
      AgentProtocol,
      BaseAgent,
      createAgent,
      Client: require_client(),
      CygwinAgent,
      HTTPAgent,
      HTTPSAgent,
      OpenSSHAgent,
      PageantAgent,
      Server: require_server(),
      utils: {
        parseKey,
        ...require_keygen(),
        sftp: {
          flagsToString,
          OPEN_MODE,
          STATUS_CODE,
          stringToFlags
        }
      }
    };
  }
});

// src/protocol/ids.ts
var HandoffId = external_exports.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "a handoff id is 1-64 characters of A-Z a-z 0-9 . _ -").refine((s) => s !== "." && s !== "..", 'a handoff id cannot be "." or ".."');
function parseHandoffId(value) {
  let r = HandoffId.safeParse(value);
  if (!r.success) throw new Error(`invalid handoff id ${JSON.stringify(value)}: ${r.error.issues[0]?.message}`);
  return r.data;
}

// src/protocol/deadlines.ts
var Deadlines = external_exports.object({
  /** A connection must send HELLO within this. */
  hello_ms: external_exports.number().int().positive().default(5e3),
  /** A reservation expires when no green claims it within this. */
  claim_ms: external_exports.number().int().positive().default(6e5),
  /** Green must send HANDOFF_ACK this long after HANDOFF_INIT. */
  ack_ms: external_exports.number().int().positive().default(12e4),
  /** Blue must finish in-flight work and pause its adapters within this. */
  drain_ms: external_exports.number().int().positive().default(1e4),
  /** Green must send HANDOFF_CONFIRM this long after HANDOFF_ACTIVE. */
  confirm_ms: external_exports.number().int().positive().default(1e4),
  /** Green sends HEALTH this often during the bake. */
  heartbeat_ms: external_exports.number().int().positive().default(1e3),
  /** Green must stop and exit this long after HANDOFF_ROLLBACK, else blue kills it. */
  rollback_grace_ms: external_exports.number().int().positive().default(1e4),
  /** After HANDOFF_COMPLETE, green must own the socket and answer HANDOFF_COMPLETE within this, else blue takes back. */
  takeover_ms: external_exports.number().int().positive().default(1e4)
}), Thresholds = external_exports.object({
  /** Largest error rate (errors / handled) a sample may show, 0..1. */
  max_error_rate: external_exports.number().min(0).max(1).default(0.05),
  /** Green's p99 reply latency may be at most this factor of blue's baseline p99 ... */
  max_latency_factor: external_exports.number().min(1).default(3),
  /** ... and never counts as a breach below this floor. */
  latency_floor_ms: external_exports.number().nonnegative().default(250),
  /** Longest time without a HEALTH frame before green is judged hung. */
  max_heartbeat_age_ms: external_exports.number().int().positive().default(5e3),
  /** How many consecutive breaching samples make a rollback. */
  consecutive: external_exports.number().int().min(1).max(100).default(3)
}), DEFAULT_DEADLINES = Deadlines.parse({}), DEFAULT_THRESHOLDS = Thresholds.parse({});

// src/protocol/frames.ts
var PROTOCOL_VERSION = 1, V = external_exports.number().int().min(1), Pid = external_exports.number().int().positive(), Ms = external_exports.number().int().nonnegative(), Text = external_exports.string().max(4096), Release = external_exports.string().min(1).max(200), Runtime = external_exports.string().min(1).max(64), Cursors = external_exports.record(external_exports.string().min(1).max(64), external_exports.union([external_exports.number().int(), external_exports.string().max(256)])), Phase = external_exports.enum(["idle", "reserved", "init", "draining", "active", "baking", "rolling-back", "complete"]), ErrorCode = external_exports.enum([
  "bad_frame",
  // not JSON, not an object, or a known type with invalid fields: the connection is closed
  "too_large",
  // a line over the limit: the connection is closed
  "unknown_type",
  // a type this version does not know: ignored, connection stays
  "unauthorized",
  // missing or wrong token, or a frame before HELLO: the connection is closed
  "busy",
  // a reservation or handoff is already under way, or a green with no reservation
  "wrong_phase",
  // a frame that this phase does not accept
  "unknown_handoff",
  // a handoff id that is not the current one
  "timeout",
  // a deadline passed (HELLO not sent in time, and so on): the connection is closed
  "too_many",
  // too many connections at once: the connection is closed
  "internal"
  // a fault in blue that did not stop it
]), Verdict = external_exports.enum(["promoted", "rolled-back", "failed"]), TimelineEntry = external_exports.object({ phase: external_exports.string().max(64), at: Ms, note: Text.optional() }), HealthSample = external_exports.object({
  seq: external_exports.number().int().nonnegative(),
  at: Ms,
  handled: external_exports.number().int().nonnegative(),
  errors: external_exports.number().int().nonnegative(),
  latency_p50_ms: external_exports.number().nonnegative(),
  latency_p99_ms: external_exports.number().nonnegative()
}), VerdictRecord = external_exports.object({
  v: V,
  handoff_id: HandoffId,
  verdict: Verdict,
  reason: Text,
  release: Release,
  runtime: Runtime,
  blue_pid: Pid,
  green_pid: Pid.nullable(),
  decided_by: external_exports.enum(["blue", "green"]),
  decided_at: Ms,
  dark_window_ms: external_exports.number().nonnegative().nullable(),
  timeline: external_exports.array(TimelineEntry).max(256),
  health: external_exports.array(HealthSample).max(4096),
  /** Set when the decider could not persist something: the handoff still decided. */
  record_error: Text.optional()
}), frame = (type, shape) => external_exports.object({ v: V, type: external_exports.literal(type), ...shape }), Hello = frame("HELLO", {
  role: external_exports.enum(["green", "observer"]),
  token: external_exports.string().min(1).max(512),
  pid: Pid,
  handoff_id: HandoffId.optional(),
  client: external_exports.string().max(128).optional()
}), Welcome = frame("WELCOME", {
  server_pid: Pid,
  phase: Phase,
  release: Release,
  runtime: Runtime,
  versions: external_exports.array(external_exports.number().int()).min(1)
}), ErrorFrame = frame("ERROR", {
  code: ErrorCode,
  message: Text,
  /** The type of the frame that caused it, where known. */
  frame: external_exports.string().max(64).optional(),
  /** True when the sender closes the connection after this frame. */
  fatal: external_exports.boolean()
}), Reserve = frame("RESERVE", {
  handoff_id: HandoffId,
  release: Release,
  runtime: Runtime,
  bake_ms: Ms,
  thresholds: Thresholds.partial().optional(),
  deadlines: Deadlines.partial().optional()
}), Status = frame("STATUS", {}), Subscribe = frame("SUBSCRIBE", {}), Abort = frame("ABORT", { handoff_id: HandoffId, reason: Text }), Reserved = frame("RESERVED", {
  handoff_id: HandoffId,
  expires_at: Ms,
  thresholds: Thresholds,
  deadlines: Deadlines
}), Aborting = frame("ABORTING", { handoff_id: HandoffId, phase: Phase }), HandoffView = external_exports.object({
  id: HandoffId,
  release: Release,
  runtime: Runtime,
  bake_ms: Ms,
  green_pid: Pid.nullable(),
  started_at: Ms,
  bake_started_at: Ms.nullable()
}), State = frame("STATE", {
  phase: Phase,
  server_pid: Pid,
  release: Release,
  runtime: Runtime,
  handoff: HandoffView.nullable(),
  timeline: external_exports.array(TimelineEntry),
  health: external_exports.array(HealthSample),
  last_verdict: VerdictRecord.nullable()
}), EventFrame = frame("EVENT", {
  event: external_exports.discriminatedUnion("kind", [
    external_exports.object({ kind: external_exports.literal("phase"), handoff_id: HandoffId, phase: Phase, at: Ms, note: Text.optional() }),
    external_exports.object({ kind: external_exports.literal("health"), handoff_id: HandoffId, sample: HealthSample }),
    external_exports.object({ kind: external_exports.literal("verdict"), record: VerdictRecord })
  ])
}), HandoffInit = frame("HANDOFF_INIT", {
  handoff_id: HandoffId,
  blue_pid: Pid,
  release: Release,
  runtime: Runtime,
  store: external_exports.object({ path: external_exports.string().max(4096), schema: external_exports.number().int().nonnegative() }),
  bake_ms: Ms,
  deadlines: Deadlines
}), HandoffAck = frame("HANDOFF_ACK", {
  handoff_id: HandoffId,
  pid: Pid,
  runtime: Runtime,
  release: Release,
  store_schema: external_exports.number().int().nonnegative(),
  init_ms: Ms
}), HandoffActive = frame("HANDOFF_ACTIVE", {
  handoff_id: HandoffId,
  cursors: Cursors,
  drained: external_exports.number().int().nonnegative(),
  paused_at: Ms
}), HandoffConfirm = frame("HANDOFF_CONFIRM", {
  handoff_id: HandoffId,
  adapters: external_exports.array(external_exports.string().max(64)).max(64),
  /** When green's first poll went out: paused_at..polling_at is the dark window. */
  polling_at: Ms
}), Health = frame("HEALTH", {
  handoff_id: HandoffId,
  sample: HealthSample,
  cursors: Cursors
}), HandoffComplete = frame("HANDOFF_COMPLETE", { handoff_id: HandoffId, reason: Text }), HandoffRollback = frame("HANDOFF_ROLLBACK", {
  handoff_id: HandoffId,
  reason: Text,
  /** Sent by green when it rolls itself back: where it stopped. */
  cursors: Cursors.optional()
}), HandoffStopped = frame("HANDOFF_STOPPED", { handoff_id: HandoffId, cursors: Cursors }), FRAME_SCHEMAS = {
  HELLO: Hello,
  WELCOME: Welcome,
  ERROR: ErrorFrame,
  RESERVE: Reserve,
  RESERVED: Reserved,
  STATUS: Status,
  STATE: State,
  SUBSCRIBE: Subscribe,
  EVENT: EventFrame,
  ABORT: Abort,
  ABORTING: Aborting,
  HANDOFF_INIT: HandoffInit,
  HANDOFF_ACK: HandoffAck,
  HANDOFF_ACTIVE: HandoffActive,
  HANDOFF_CONFIRM: HandoffConfirm,
  HEALTH: Health,
  HANDOFF_COMPLETE: HandoffComplete,
  HANDOFF_ROLLBACK: HandoffRollback,
  HANDOFF_STOPPED: HandoffStopped
}, Frame = external_exports.discriminatedUnion("type", [
  Hello,
  Welcome,
  ErrorFrame,
  Reserve,
  Reserved,
  Status,
  State,
  Subscribe,
  EventFrame,
  Abort,
  Aborting,
  HandoffInit,
  HandoffAck,
  HandoffActive,
  HandoffConfirm,
  Health,
  HandoffComplete,
  HandoffRollback,
  HandoffStopped
]);
function isFrameType(type) {
  return Object.prototype.hasOwnProperty.call(FRAME_SCHEMAS, type);
}

// src/handoff/outcome.ts
var ActionVerdict = external_exports.enum(["promoted", "rolled-back", "failed", "timed-out", "unchanged", "ready", "not-ready"]), Mode = external_exports.enum(["promote", "preflight", "status", "rollback"]), Check = external_exports.object({ name: external_exports.string(), ok: external_exports.boolean(), detail: external_exports.string() }), Outcome = external_exports.object({
  mode: Mode,
  verdict: ActionVerdict,
  reason: external_exports.string(),
  target_name: external_exports.string(),
  handoff_id: external_exports.string().nullable(),
  release: external_exports.string(),
  runtime: external_exports.string(),
  blue_pid: external_exports.number().int().nullable(),
  green_pid: external_exports.number().int().nullable(),
  dark_window_ms: external_exports.number().nullable(),
  bake_ms: external_exports.number().int().nullable(),
  started_at: external_exports.number().int(),
  duration_ms: external_exports.number().int().nonnegative(),
  timeline: external_exports.array(TimelineEntry),
  health: external_exports.array(HealthSample),
  checks: external_exports.array(Check),
  /** The last lines of green's log, secrets already removed; null when not read. */
  green_log_tail: external_exports.string().nullable()
});
function exitCodeFor(o, failOnRollback) {
  switch (o.verdict) {
    case "promoted":
    case "unchanged":
    case "ready":
      return 0;
    case "rolled-back":
      return failOnRollback ? 1 : 0;
    default:
      return 1;
  }
}

// src/config/input-error.ts
var InputError = class extends Error {
  name = "InputError";
  problems;
  /** `secrets` are removed from the messages, as a second line of defence: no message should quote them. */
  constructor(problems, secrets = []) {
    let clean = problems.map((p) => ({ input: p.input, message: scrub(p.message, secrets) })), n = clean.length;
    super(`${n} invalid input${n === 1 ? "" : "s"}:
${clean.map((p) => `  input "${p.input}": ${p.message}`).join(`
`)}`), this.problems = clean;
  }
};
function scrub(message, secrets) {
  let at = message.indexOf(", got ");
  if (at < 0) return message;
  let head = message.slice(0, at), text = message.slice(at), parts = secrets.flatMap((s) => [s, ...s.split(`
`)]).map((s) => s.trim()).filter((s) => s.length >= 4).sort((a, b) => b.length - a.length), out = text;
  for (let s of parts) out = out.split(s).join("***");
  return head + out;
}

// src/config/inputs.ts
var INPUT_NAMES = [
  "mode",
  "transport",
  // connection
  "host",
  "port",
  "username",
  "private-key",
  "passphrase",
  "known-hosts",
  "host-fingerprint",
  "insecure-skip-host-key-check",
  "jump-host",
  "jump-private-key",
  "jump-passphrase",
  "jump-known-hosts",
  "jump-host-fingerprint",
  "connect-timeout-seconds",
  // gateway
  "hermes-home",
  "socket-path",
  "green-command",
  "workdir",
  "runtime",
  "release",
  "green-env",
  "prepare-command",
  "launcher",
  "systemd-unit",
  // bake and deadlines
  "bake-seconds",
  "max-error-rate",
  "max-latency-factor",
  "latency-floor-ms",
  "max-heartbeat-age-seconds",
  "consecutive-breaches",
  "ack-timeout-seconds",
  "claim-timeout-seconds",
  "rollback-grace-seconds",
  "timeout-seconds",
  "handoff-id",
  // reporting
  "target-name",
  "status-context",
  "fail-on-rollback",
  "github-token",
  "issue",
  "close-issue-on-success",
  "failure-label"
], SECRET_INPUTS = /* @__PURE__ */ new Set([
  "private-key",
  "passphrase",
  "jump-private-key",
  "jump-passphrase",
  "green-env",
  "github-token"
]), INPUT_DEFAULTS = {
  mode: "promote",
  transport: "ssh",
  port: "22",
  "insecure-skip-host-key-check": "false",
  "connect-timeout-seconds": "20",
  "hermes-home": "~/.hermes",
  runtime: "claw",
  launcher: "process",
  "systemd-unit": "hermes-green@",
  "bake-seconds": "300",
  "max-error-rate": "0.05",
  "max-latency-factor": "3",
  "latency-floor-ms": "250",
  "max-heartbeat-age-seconds": "5",
  "consecutive-breaches": "3",
  "ack-timeout-seconds": "120",
  "claim-timeout-seconds": "600",
  "rollback-grace-seconds": "10",
  "timeout-seconds": "900",
  "target-name": "production",
  "fail-on-rollback": "true",
  "close-issue-on-success": "true",
  "failure-label": "handoff-failed"
}, RESERVED_GREEN_ENV = /* @__PURE__ */ new Set([
  "HERMES_RUNTIME",
  "HERMES_RELEASE",
  "HERMES_HANDOFF_ID",
  "HERMES_HOME"
]);

// src/config/fields.ts
var Expected = class extends Error {
  constructor(message, got = void 0) {
    super(message);
    this.got = got;
  }
  got;
};
function shown(value) {
  if (/PRIVATE KEY|PuTTY-User-Key-File/.test(value)) return "what looks like a private key (not shown)";
  let max = 60, cut = value.length > max ? `${value.slice(0, max)}...` : value;
  return JSON.stringify(cut);
}
function field(name, parse) {
  let secret = SECRET_INPUTS.has(name);
  return external_exports.string().transform((raw, ctx) => {
    let trimmed = raw.trim(), value = trimmed === "" ? INPUT_DEFAULTS[name] ?? "" : trimmed;
    try {
      return parse(value);
    } catch (e) {
      if (!(e instanceof Expected)) throw e;
      let got = e.got === void 0 ? value : e.got, message = secret || got === !1 ? e.message : `${e.message}, got ${shown(got)}`;
      return ctx.addIssue({ code: "custom", message }), external_exports.NEVER;
    }
  });
}
function oneOf(values) {
  return (s) => {
    if (values.includes(s)) return s;
    throw new Expected(`expected one of: ${values.join(", ")}`);
  };
}
function bool(s) {
  if (s.toLowerCase() === "true") return !0;
  if (s.toLowerCase() === "false") return !1;
  throw new Expected("expected true or false");
}
var DECIMAL = /^[0-9]+(\.[0-9]+)?$/;
function decimal(s, expected) {
  if (!DECIMAL.test(s)) throw new Expected(expected);
  return Number(s);
}
function integer(min, max) {
  return (s) => {
    let expected = `expected an integer ${min}-${max}`;
    if (!/^[0-9]+$/.test(s)) throw new Expected(expected);
    let n = Number(s);
    if (n < min || n > max) throw new Expected(expected);
    return n;
  };
}
function number(min, max, unit = "") {
  return (s) => {
    let expected = `expected a number${unit} from ${min} to ${max}`, n = decimal(s, expected);
    if (n < min || n > max) throw new Expected(expected);
    return n;
  };
}
var MAX_SECONDS = Math.floor(2 ** 31 / 1e3) - 1;
function seconds(opts) {
  return (s) => {
    let expected = `expected a number of seconds ${opts.allowZero ? "from 0" : "greater than 0"} and at most ${MAX_SECONDS} (decimals allowed, like 1.5)`, n = decimal(s, expected), ms = Math.round(n * 1e3);
    if (ms > MAX_SECONDS * 1e3 || ms < (opts.allowZero ? 0 : 1)) throw new Expected(expected);
    return ms;
  };
}
function rate(s) {
  let expected = "expected a fraction from 0 to 1 (like 0.05) or a percentage from 0% to 100% (like 5%)", pct = s.endsWith("%"), n = decimal(pct ? s.slice(0, -1).trim() : s, expected), fraction = pct ? n / 100 : n;
  if (fraction > 1) throw new Expected(expected);
  return fraction;
}
function hostPath(opts) {
  return (s) => {
    if (s === "" && opts.optional) return null;
    let expected = "expected an absolute path or one starting with ~/, without NUL or line breaks, at most 4096 characters";
    if (!(s.startsWith("/") || s.startsWith("~/")) || /[\0\r\n]/.test(s) || s.length > 4096) throw new Expected(expected);
    return s;
  };
}
function command(s) {
  if (s === "") return null;
  if (s.includes("\0") || s.length > 16384) throw new Expected("expected a shell command line without NUL, at most 16384 characters", !1);
  return s;
}
function line(max, opts) {
  return (s) => {
    if (s === "" && opts.optional) return null;
    if (s.length < 1 || s.length > max || /[\u0000-\u001f\u007f]/.test(s))
      throw new Expected(`expected 1-${max} characters on one line, without control characters`);
    return s;
  };
}
function matching(pattern, expected) {
  return (s) => {
    if (!pattern.test(s)) throw new Expected(`expected ${expected}`);
    return s;
  };
}
function issueNumber(s) {
  if (s === "") return null;
  let m = /^#?([0-9]{1,9})$/.exec(s), n = m ? Number(m[1]) : 0;
  if (n < 1) throw new Expected("expected an issue number like 12 or #12");
  return n;
}
function secretLine(s) {
  if (s === "") return null;
  if (/[\u0000-\u001f\u007f]/.test(s) || s.length > 4096)
    throw new Expected("expected one line of at most 4096 characters without control characters (the value is not shown: it is a secret)");
  return s;
}

// src/config/green-env.ts
var KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
function greenEnv(s) {
  let env = /* @__PURE__ */ new Map(), problems = [];
  if (s.split(`
`).forEach((raw, i) => {
    let line2 = raw.replace(/\r$/, "").trimStart();
    if (line2 === "" || line2.startsWith("#")) return;
    let n = i + 1, eq = line2.indexOf("=");
    if (eq < 0) {
      problems.push(`line ${n}: expected KEY=VALUE`);
      return;
    }
    let key = line2.slice(0, eq), value = line2.slice(eq + 1);
    KEY.test(key) ? key === "__proto__" ? problems.push(`line ${n}: __proto__ cannot be used as a KEY`) : RESERVED_GREEN_ENV.has(key) ? problems.push(`line ${n}: ${key} is set by the action itself (use the runtime and release inputs)`) : env.has(key) ? problems.push(`line ${n}: ${key} is set twice`) : value.includes("\0") ? problems.push(`line ${n}: the value of ${key} contains a NUL byte`) : env.set(key, value) : problems.push(`line ${n}: expected a KEY matching [A-Za-z_][A-Za-z0-9_]* before "=" (no spaces around it)`);
  }), problems.length > 0) throw new Expected(problems.join("; "), !1);
  return Object.fromEntries(env);
}

// src/config/private-key.ts
var import_ssh2 = __toESM(require_lib2(), 1);
function privateKey(s) {
  if (s === "") return null;
  if (!s.includes(`
`) && s.includes("\\n"))
    throw new Expected('expected a private key with real line breaks; this one has "\\n" sequences instead (store the key file as it is)', !1);
  let key = `${s.replace(/\r\n?/g, `
`).trim()}
`;
  if (/^(ssh-|ecdsa-|sk-)/.test(key)) throw new Expected("expected the private key; this is a public key", !1);
  let problem = keyProblem(key, void 0);
  if (problem !== null && problem.input === "key") throw new Expected(problem.message, !1);
  return key;
}
function keyProblem(key, passphrase) {
  let parsed = import_ssh2.default.utils.parseKey(key, passphrase), first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (first === void 0 || first instanceof Error) {
    let msg = first instanceof Error ? first.message : "";
    return /no passphrase given/i.test(msg) ? { input: "passphrase", message: "expected a passphrase: the private key is encrypted" } : /passphrase|integrity check|decrypt/i.test(msg) ? { input: "passphrase", message: "expected the passphrase of the private key; this one does not decrypt it" } : { input: "key", message: "expected a private key in OpenSSH or PEM form (-----BEGIN OPENSSH PRIVATE KEY----- ...), unencrypted or with its passphrase" };
  }
  return first.isPrivateKey() ? null : { input: "key", message: "expected the private key; this is a public key" };
}

// src/config/settings.ts
var Pins = external_exports.object({ knownHosts: external_exports.array(external_exports.string()), fingerprints: external_exports.array(external_exports.string()) }), JumpSettings = external_exports.object({
  host: external_exports.string(),
  port: external_exports.number().int(),
  username: external_exports.string(),
  privateKey: external_exports.string(),
  passphrase: external_exports.string().optional(),
  pins: Pins
}), SshSettings = external_exports.object({
  host: external_exports.string(),
  port: external_exports.number().int(),
  username: external_exports.string(),
  privateKey: external_exports.string(),
  passphrase: external_exports.string().optional(),
  pins: Pins,
  insecureSkipHostKeyCheck: external_exports.boolean(),
  jump: JumpSettings.optional(),
  readyTimeoutMs: external_exports.number().int().positive()
}), SettingsShape = external_exports.object({
  mode: Mode,
  transport: external_exports.enum(["ssh", "local"]),
  /** status and rollback: the handoff to report or roll back; null means the current or last one. */
  handoffId: external_exports.string().nullable(),
  /** Null for the local transport. */
  ssh: SshSettings.nullable(),
  gateway: external_exports.object({
    /** Absolute, or starting with `~/` (the engine expands it on the host). */
    hermesHome: external_exports.string(),
    /** Null: `<hermesHome>/run/handoff.sock`. */
    socketPath: external_exports.string().nullable(),
    greenCommand: external_exports.string().nullable(),
    workdir: external_exports.string().nullable(),
    runtime: external_exports.string(),
    /** The release to promote; '' only outside promote when neither the input nor GITHUB_SHA is set. */
    release: external_exports.string(),
    /** Every value is a secret. */
    greenEnv: external_exports.record(external_exports.string(), external_exports.string()),
    prepareCommand: external_exports.string().nullable(),
    launcher: external_exports.enum(["process", "systemd"]),
    /** A template unit name ending in `@`. */
    systemdUnit: external_exports.string()
  }),
  bake: external_exports.object({
    bakeMs: external_exports.number().int().nonnegative(),
    /** The action's own deadline. */
    timeoutMs: external_exports.number().int().positive(),
    thresholds: external_exports.object({
      max_error_rate: external_exports.number(),
      max_latency_factor: external_exports.number(),
      latency_floor_ms: external_exports.number(),
      max_heartbeat_age_ms: external_exports.number().int(),
      consecutive: external_exports.number().int()
    }),
    deadlines: external_exports.object({ ack_ms: external_exports.number().int(), claim_ms: external_exports.number().int(), rollback_grace_ms: external_exports.number().int() })
  }),
  report: external_exports.object({
    targetName: external_exports.string(),
    statusContext: external_exports.string(),
    failOnRollback: external_exports.boolean(),
    githubToken: external_exports.string().nullable(),
    issue: external_exports.number().int().nullable(),
    closeIssueOnSuccess: external_exports.boolean(),
    failureLabel: external_exports.string()
  })
});

// src/config/ssh-fields.ts
import { isIPv6 } from "node:net";
var HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$/, USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\$?$/;
function hostName(s) {
  if (s === "") return null;
  if (HOST_NAME.test(s) || isIPv6(s)) return s;
  throw /^[A-Za-z0-9._-]+:[0-9]+$/.test(s) ? new Expected('expected a host name or IP address alone; put the port in the "port" input') : new Expected("expected a host name or IP address (IPv6 without brackets)");
}
function userName(s) {
  if (s === "") return null;
  if (USER_NAME.test(s)) return s;
  throw new Expected("expected a user name of 1-64 characters A-Z a-z 0-9 . _ - (not starting with - or .)");
}
function jumpAddress(s) {
  if (s === "") return null;
  let expected = "expected [user@]host[:port], like deploy@bastion.example.com:2222 (IPv6 as [addr]:port)", at = s.lastIndexOf("@"), user = at >= 0 ? s.slice(0, at) : null, rest = at >= 0 ? s.slice(at + 1) : s, m = /^\[([0-9A-Fa-f:.]+)\](?::([0-9]+))?$/.exec(rest) ?? /^([^:[\]]+)(?::([0-9]+))?$/.exec(rest);
  if (!m || m[1] === void 0) throw new Expected(expected);
  let host = m[1], port = m[2] === void 0 ? 22 : Number(m[2]);
  if (!(m[0].startsWith("[") ? isIPv6(host) : HOST_NAME.test(host)) || !Number.isInteger(port) || port < 1 || port > 65535) throw new Expected(expected);
  if (user !== null && !USER_NAME.test(user)) throw new Expected(expected);
  return { username: user, host, port };
}
var FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/, KEYGEN_LINE = /^[0-9]+\s+(SHA256:\S+)\s.*\([A-Z0-9-]+\)$/;
function fingerprints(s) {
  let out = [];
  for (let raw of s.split(`
`)) {
    let line2 = raw.trim();
    if (line2 === "" || line2.startsWith("#")) continue;
    let keygen = KEYGEN_LINE.exec(line2), words = keygen?.[1] !== void 0 ? [keygen[1]] : line2.split(",").map((w) => w.trim()).filter((w) => w !== "");
    for (let w of words) {
      if (!FINGERPRINT.test(w)) {
        let md5 = /^MD5:|^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(w);
        throw new Expected(
          md5 ? "expected a SHA256 fingerprint; MD5 fingerprints are not accepted (ssh-keygen -lf prints SHA256:...)" : "expected SHA256 fingerprints like SHA256:<43 base64 characters>, separated by newlines or commas (ssh-keyscan -t ed25519 HOST | ssh-keygen -lf -)",
          w
        );
      }
      out.push(w.replace(/=$/, ""));
    }
  }
  return out;
}
var KEY_TYPE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9-@.]+|[a-z0-9-]+-cert-v01@openssh\.com)$/, BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
function knownHosts(s) {
  let out = [];
  for (let raw of s.split(`
`)) {
    let line2 = raw.trim();
    if (line2 === "" || line2.startsWith("#")) continue;
    let words = line2.split(/\s+/), fields = words[0]?.startsWith("@") ? words.slice(1) : words, marker = words[0]?.startsWith("@") ? words[0] : null;
    if (marker !== null && marker !== "@revoked" && marker !== "@cert-authority")
      throw new Expected("expected a known_hosts marker @revoked or @cert-authority", line2);
    if (line2.startsWith("SHA256:")) throw new Expected("expected a known_hosts line; this is a fingerprint: put it in the host-fingerprint input", line2);
    let [hosts, type, key] = fields;
    if (hosts !== void 0 && KEY_TYPE.test(hosts))
      throw new Expected('expected a known_hosts line "HOST KEYTYPE KEY" (this line has no host: ssh-keyscan HOST prints the full line)', line2);
    if (hosts === void 0 || type === void 0 || key === void 0 || !KEY_TYPE.test(type) || !BASE64.test(key))
      throw new Expected('expected known_hosts lines "HOST KEYTYPE BASE64KEY", as ssh-keyscan -t ed25519 HOST prints them', line2);
    out.push(line2);
  }
  return out;
}

// src/config/schema.ts
var seconds0 = seconds({ allowZero: !0 }), seconds1 = seconds({ allowZero: !1 }), Inputs = external_exports.object({
  mode: field("mode", oneOf(Mode.options)),
  transport: field("transport", oneOf(["ssh", "local"])),
  host: field("host", hostName),
  port: field("port", integer(1, 65535)),
  username: field("username", userName),
  "private-key": field("private-key", privateKey),
  passphrase: field("passphrase", secretLine),
  "known-hosts": field("known-hosts", knownHosts),
  "host-fingerprint": field("host-fingerprint", fingerprints),
  "insecure-skip-host-key-check": field("insecure-skip-host-key-check", bool),
  "jump-host": field("jump-host", jumpAddress),
  "jump-private-key": field("jump-private-key", privateKey),
  "jump-passphrase": field("jump-passphrase", secretLine),
  "jump-known-hosts": field("jump-known-hosts", knownHosts),
  "jump-host-fingerprint": field("jump-host-fingerprint", fingerprints),
  "connect-timeout-seconds": field("connect-timeout-seconds", seconds1),
  "hermes-home": field("hermes-home", hostPath({ optional: !1 })),
  "socket-path": field("socket-path", hostPath({ optional: !0 })),
  "green-command": field("green-command", command),
  workdir: field("workdir", hostPath({ optional: !0 })),
  runtime: field("runtime", matching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "1-64 characters A-Z a-z 0-9 . _ - starting with a letter or digit")),
  release: field(
    "release",
    (s) => s === "" ? null : matching(/^[A-Za-z0-9][A-Za-z0-9._/+@-]{0,199}$/, "a commit SHA or a tag: 1-200 characters A-Z a-z 0-9 . _ / + @ - starting with a letter or digit")(s)
  ),
  "green-env": field("green-env", greenEnv),
  "prepare-command": field("prepare-command", command),
  launcher: field("launcher", oneOf(["process", "systemd"])),
  "systemd-unit": field("systemd-unit", matching(/^[A-Za-z0-9:_.-]+@$/, 'a unit name prefix ending in "@", like hermes-green@')),
  "bake-seconds": field("bake-seconds", seconds0),
  "max-error-rate": field("max-error-rate", rate),
  "max-latency-factor": field("max-latency-factor", number(1, 1e3)),
  "latency-floor-ms": field("latency-floor-ms", number(0, 36e5, " of milliseconds")),
  "max-heartbeat-age-seconds": field("max-heartbeat-age-seconds", seconds1),
  "consecutive-breaches": field("consecutive-breaches", integer(1, 100)),
  "ack-timeout-seconds": field("ack-timeout-seconds", seconds1),
  "claim-timeout-seconds": field("claim-timeout-seconds", seconds1),
  "rollback-grace-seconds": field("rollback-grace-seconds", seconds1),
  "timeout-seconds": field("timeout-seconds", seconds1),
  "handoff-id": field("handoff-id", (s) => s === "" ? null : matching(/^(?!\.{1,2}$)[A-Za-z0-9._-]{1,64}$/, "a handoff id: 1-64 characters A-Z a-z 0-9 . _ - (not . or ..)")(s)),
  "target-name": field("target-name", matching(/^[A-Za-z0-9._ -]{1,64}$/, "1-64 characters A-Z a-z 0-9 . _ - or space")),
  "status-context": field("status-context", line(255, { optional: !0 })),
  "fail-on-rollback": field("fail-on-rollback", bool),
  "github-token": field("github-token", secretLine),
  issue: field("issue", issueNumber),
  "close-issue-on-success": field("close-issue-on-success", bool),
  "failure-label": field("failure-label", line(50, { optional: !1 }))
});
function must(v, input) {
  if (v == null) throw new Error(`internal: input "${input}" should have been checked as required`);
  return v;
}
function crossCheck(v, ctx) {
  let bad = new Set(ctx.issues.map((i) => i.path?.[0])), ok = (...names) => names.every((n) => !bad.has(n)), add = (input, message) => ctx.addIssue({ code: "custom", path: [input], message });
  if (ok("mode") && v.mode === "promote" && (ok("green-command") && v["green-command"] === null && add("green-command", 'required when mode is promote: the shell command that starts green on the host, like "uv run hermes gateway"'), ok("release") && v.release === null && add("release", "required when mode is promote: set it, or run where GITHUB_SHA is set")), ok("timeout-seconds", "bake-seconds") && v["timeout-seconds"] <= v["bake-seconds"] && add("timeout-seconds", `expected more than bake-seconds (${v["bake-seconds"] / 1e3}), with room for green's start-up and the handover`), !ok("transport")) return;
  let jumpInputs = ["jump-private-key", "jump-passphrase", "jump-known-hosts", "jump-host-fingerprint"];
  if (v.transport === "local") {
    for (let n of ["host", "jump-host"])
      ok(n) && v[n] !== null && add(n, "not used with transport: local (the gateway runs on this machine); remove it, or set transport: ssh");
    return;
  }
  for (let n of ["host", "username", "private-key"])
    ok(n) && v[n] === null && add(n, "required when transport is ssh");
  let insecure = v["insecure-skip-host-key-check"];
  if (ok("known-hosts", "host-fingerprint", "insecure-skip-host-key-check", "host", "port")) {
    let pinned = v["known-hosts"].length + v["host-fingerprint"].length > 0;
    !pinned && !insecure && add(
      "host-fingerprint",
      `a host key pin is required for transport ssh: set host-fingerprint or known-hosts. Get the fingerprint with: ssh-keyscan -p ${v.port} -t ed25519 ${v.host ?? "HOST"} | ssh-keygen -lf - (or the known_hosts line with: ssh-keyscan -p ${v.port} -t ed25519 ${v.host ?? "HOST"}). insecure-skip-host-key-check: true skips the check (not recommended)`
    ), pinned && insecure && add("insecure-skip-host-key-check", "expected false when host-fingerprint or known-hosts pins the host key; remove one or the other");
  }
  if (ok("private-key", "passphrase") && v["private-key"] !== null) {
    let p = keyProblem(v["private-key"], v.passphrase ?? void 0);
    p && add(p.input === "key" ? "private-key" : "passphrase", p.message);
  }
  if (!ok("jump-host")) return;
  let jump = v["jump-host"];
  if (jump === null) {
    for (let n of jumpInputs) {
      let set = n === "jump-known-hosts" || n === "jump-host-fingerprint" ? v[n].length > 0 : v[n] !== null;
      ok(n) && set && add(n, "used only with jump-host; set jump-host or remove it");
    }
    return;
  }
  if (ok("jump-known-hosts", "jump-host-fingerprint", "insecure-skip-host-key-check") && !(v["jump-known-hosts"].length + v["jump-host-fingerprint"].length > 0) && !insecure && add(
    "jump-host-fingerprint",
    `a host key pin for the jump host is required: set jump-host-fingerprint or jump-known-hosts. Get the fingerprint with: ssh-keyscan -p ${jump.port} -t ed25519 ${jump.host} | ssh-keygen -lf -`
  ), ok("jump-private-key", "jump-passphrase")) {
    let key = v["jump-private-key"];
    if (key === null && v["jump-passphrase"] !== null && add("jump-passphrase", "used only with jump-private-key (without it, the jump host gets private-key and passphrase)"), key !== null) {
      let p = keyProblem(key, v["jump-passphrase"] ?? void 0);
      p && add(p.input === "key" ? "jump-private-key" : "jump-passphrase", p.message);
    }
  }
  ok("username") && jump.username === null && v.username === null && add("jump-host", "expected user@host[:port]: no username is set");
}
function toSettings(v) {
  let pins = (knownHosts2, fingerprints2) => ({ knownHosts: knownHosts2, fingerprints: fingerprints2 }), passphrase = (p) => p === null ? {} : { passphrase: p }, jumpHost = v["jump-host"], ssh = v.transport === "local" ? null : {
    host: must(v.host, "host"),
    port: v.port,
    username: must(v.username, "username"),
    privateKey: must(v["private-key"], "private-key"),
    ...passphrase(v.passphrase),
    pins: pins(v["known-hosts"], v["host-fingerprint"]),
    insecureSkipHostKeyCheck: v["insecure-skip-host-key-check"],
    ...jumpHost === null ? {} : {
      jump: {
        host: jumpHost.host,
        port: jumpHost.port,
        username: jumpHost.username ?? must(v.username, "username"),
        privateKey: v["jump-private-key"] ?? must(v["private-key"], "private-key"),
        ...passphrase(v["jump-private-key"] === null ? v.passphrase : v["jump-passphrase"]),
        pins: pins(v["jump-known-hosts"], v["jump-host-fingerprint"])
      }
    },
    readyTimeoutMs: v["connect-timeout-seconds"]
  };
  return {
    mode: v.mode,
    transport: v.transport,
    handoffId: v["handoff-id"],
    ssh,
    gateway: {
      hermesHome: must(v["hermes-home"], "hermes-home"),
      socketPath: v["socket-path"],
      greenCommand: v["green-command"],
      workdir: v.workdir,
      runtime: v.runtime,
      release: v.release ?? "",
      greenEnv: v["green-env"],
      prepareCommand: v["prepare-command"],
      launcher: v.launcher,
      systemdUnit: v["systemd-unit"]
    },
    bake: {
      bakeMs: v["bake-seconds"],
      timeoutMs: v["timeout-seconds"],
      thresholds: {
        max_error_rate: v["max-error-rate"],
        max_latency_factor: v["max-latency-factor"],
        latency_floor_ms: v["latency-floor-ms"],
        max_heartbeat_age_ms: v["max-heartbeat-age-seconds"],
        consecutive: v["consecutive-breaches"]
      },
      deadlines: {
        ack_ms: v["ack-timeout-seconds"],
        claim_ms: v["claim-timeout-seconds"],
        rollback_grace_ms: v["rollback-grace-seconds"]
      }
    },
    report: {
      targetName: v["target-name"],
      statusContext: v["status-context"] ?? `hermes-handoff/${v["target-name"]}`,
      failOnRollback: v["fail-on-rollback"],
      githubToken: v["github-token"],
      issue: v.issue,
      closeIssueOnSuccess: v["close-issue-on-success"],
      failureLabel: must(v["failure-label"], "failure-label")
    }
  };
}
var SettingsSchema = Inputs.superRefine(crossCheck, { when: () => !0 }).transform(toSettings).pipe(SettingsShape), SCHEMA_INPUTS = Object.keys(Inputs.shape);
function readSettings(getInput, env) {
  let raw = {};
  for (let name of INPUT_NAMES) raw[name] = getInput(name) ?? "";
  (raw.release ?? "").trim() === "" && (raw.release = env.GITHUB_SHA ?? "");
  let r = SettingsSchema.safeParse(raw);
  if (r.success) return r.data;
  let order = (input) => INPUT_NAMES.indexOf(input), problems = r.error.issues.map((i) => ({ input: String(i.path[0] ?? "(inputs)"), message: i.message })).sort((a, b) => order(a.input) - order(b.input)), secrets = INPUT_NAMES.filter((n) => SECRET_INPUTS.has(n)).map((n) => raw[n] ?? "");
  throw new InputError(problems, secrets);
}

// src/config/secrets.ts
function secretValues(settings) {
  let whole = [
    settings.ssh?.privateKey,
    settings.ssh?.passphrase,
    settings.ssh?.jump?.privateKey,
    settings.ssh?.jump?.passphrase,
    settings.report.githubToken,
    ...Object.values(settings.gateway.greenEnv)
  ], out = /* @__PURE__ */ new Set();
  for (let v of whole)
    if (v != null)
      for (let part of [v, v.trim(), ...v.split(`
`).map((l) => l.trim())])
        part.length >= 4 && out.add(part);
  return [...out].sort((a, b) => b.length - a.length);
}
function maskSecrets(settings, setSecret) {
  for (let s of secretValues(settings)) setSecret(s);
}

// src/app/outputs.ts
function outputsOf(o) {
  let n = (v) => v === null ? "" : String(Math.round(v));
  return {
    verdict: o.verdict,
    reason: o.reason,
    "handoff-id": o.handoff_id ?? "",
    release: o.release,
    "blue-pid": n(o.blue_pid),
    "green-pid": n(o.green_pid),
    "dark-window-ms": n(o.dark_window_ms),
    "duration-ms": String(o.duration_ms),
    timeline: JSON.stringify(o.timeline),
    checks: JSON.stringify(o.checks)
  };
}

// src/peer/files.ts
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, chmodSync, writeSync, unlinkSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
function writeFileAtomic(path, data, mode = 384) {
  let tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`, fd = openSync(tmp, "wx", mode);
  try {
    writeSync(fd, data), fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
    }
    throw e;
  }
}
function ensurePrivateDir(dir) {
  mkdirSync(dir, { recursive: !0, mode: 448 }), chmodSync(dir, 448);
}
function tokenPathFor(socketPath) {
  return join(dirname(socketPath), "handoff.token");
}
function readToken(socketPath) {
  try {
    let t = readFileSync(tokenPathFor(socketPath), "utf8").trim();
    return t.length > 0 ? t : null;
  } catch {
    return null;
  }
}
function ensureToken(socketPath) {
  ensurePrivateDir(dirname(socketPath));
  let existing = readToken(socketPath);
  if (existing)
    return chmodSync(tokenPathFor(socketPath), 384), existing;
  let token = randomBytes(32).toString("hex");
  return writeFileAtomic(tokenPathFor(socketPath), token + `
`, 384), token;
}
function verdictPath(home, id) {
  return join(home, "run", "handoffs", `${parseHandoffId(id)}.json`);
}
function writeVerdict(home, record) {
  let dir = join(home, "run", "handoffs");
  mkdirSync(dir, { recursive: !0, mode: 448 }), writeFileAtomic(verdictPath(home, record.handoff_id), JSON.stringify(record, null, 2) + `
`, 384);
}
function readVerdict(home, id) {
  try {
    let r = VerdictRecord.safeParse(JSON.parse(readFileSync(verdictPath(home, id), "utf8")));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
function isSocket(path) {
  try {
    return statSync(path).isSocket();
  } catch {
    return !1;
  }
}

// src/handoff/paths.ts
var joinPath = (a, b) => `${a.replace(/\/+$/, "")}/${b}`;
async function resolvePaths(host, hermesHome, socketPath, workdir = null) {
  let homeDir = null, expand = async (p) => {
    if (p !== "~" && !p.startsWith("~/")) return p;
    if (homeDir === null) {
      let r = await host.exec(["sh", "-c", 'printf %s "$HOME"'], { timeoutMs: 15e3 });
      if (homeDir = r.stdout.trim(), r.code !== 0 || !homeDir.startsWith("/")) throw new Error("could not read $HOME on the host to expand ~");
    }
    return p === "~" ? homeDir : joinPath(homeDir, p.slice(2));
  }, home = await expand(hermesHome), socket = socketPath ? await expand(socketPath) : joinPath(home, "run/handoff.sock"), dir = socket.slice(0, socket.lastIndexOf("/")) || "/", wd = workdir ? await expand(workdir) : null;
  return { home, socket, token: joinPath(dir, "handoff.token"), logs: joinPath(home, "logs"), verdicts: joinPath(home, "run/handoffs"), workdir: wd };
}
function greenLogPath(p, handoffId) {
  return joinPath(p.logs, `green-${handoffId}.log`);
}

// src/protocol/clip.ts
function clip(s, max) {
  if (s.length <= max) return s;
  let cut = max - 1, last = s.charCodeAt(cut - 1);
  return last >= 55296 && last <= 56319 && cut--, s.slice(0, cut) + "\u2026";
}

// src/protocol/framing.ts
var MAX_LINE_BYTES = 64 * 1024, utf8 = new TextDecoder("utf-8", { fatal: !0 }), MAX_MESSAGE = 1024;
function encodeFrame(frame2) {
  let line2 = JSON.stringify({ ...frame2, v: frame2.v ?? PROTOCOL_VERSION });
  if (Buffer.byteLength(line2) > MAX_LINE_BYTES) throw new Error(`${frame2.type} frame is larger than ${MAX_LINE_BYTES} bytes`);
  return line2 + `
`;
}
function decodeLine(bytes) {
  let text;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: !1, code: "bad_frame", message: "line is not valid UTF-8", fatal: !0 };
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: !1, code: "bad_frame", message: "line is not valid JSON", fatal: !0 };
  }
  if (typeof value != "object" || value === null || Array.isArray(value))
    return { ok: !1, code: "bad_frame", message: "a frame must be a JSON object", fatal: !0 };
  let { type, v } = value;
  if (typeof type != "string") return { ok: !1, code: "bad_frame", message: 'a frame needs a string "type"', fatal: !0 };
  if (typeof v != "number" || !Number.isInteger(v) || v < 1)
    return { ok: !1, code: "bad_frame", message: `${type.slice(0, 64)}: "v" must be an integer >= 1`, frame: type.slice(0, 64), fatal: !0 };
  if (!isFrameType(type)) return { ok: !1, code: "unknown_type", message: `unknown frame type ${JSON.stringify(type.slice(0, 64))}`, frame: type.slice(0, 64), fatal: !1 };
  let parsed = FRAME_SCHEMAS[type].safeParse(value);
  if (!parsed.success) {
    let issue = parsed.error.issues[0], where = issue && issue.path.length > 0 ? issue.path.join(".") : "frame";
    return { ok: !1, code: "bad_frame", message: clip(`${type}: ${clip(where, 200)}: ${issue?.message ?? "invalid"}`, MAX_MESSAGE), frame: type, fatal: !0 };
  }
  return { ok: !0, frame: parsed.data };
}
var FrameDecoder = class {
  parts = [];
  size = 0;
  dead = !1;
  /** Decodes every complete line in `chunk` plus what was buffered before it. */
  push(chunk) {
    let out = [];
    if (this.dead) return out;
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (; ; ) {
      let nl = buf.indexOf(10);
      if (nl < 0) {
        let size = this.size + buf.length;
        return size > MAX_LINE_BYTES + 1 || size === MAX_LINE_BYTES + 1 && buf.length > 0 && buf[buf.length - 1] !== 13 ? this.fail(out) : (buf.length > 0 && this.parts.push(Buffer.from(buf)), this.size += buf.length, out);
      }
      if (this.size + nl > MAX_LINE_BYTES + 1) return this.fail(out);
      let line2 = this.size === 0 ? buf.subarray(0, nl) : Buffer.concat([...this.parts, buf.subarray(0, nl)]);
      if (this.parts = [], this.size = 0, buf = buf.subarray(nl + 1), line2.length > 0 && line2[line2.length - 1] === 13 && (line2 = line2.subarray(0, line2.length - 1)), line2.length > MAX_LINE_BYTES) return this.fail(out);
      if (line2.length === 0) continue;
      let d = decodeLine(line2);
      if (out.push(d), !d.ok && d.fatal)
        return this.dead = !0, out;
    }
  }
  /** Bytes of an unfinished line held so far. */
  get pending() {
    return this.size;
  }
  fail(out) {
    return this.dead = !0, this.parts = [], this.size = 0, out.push({ ok: !1, code: "too_large", message: `line longer than ${MAX_LINE_BYTES} bytes`, fatal: !0 }), out;
  }
};

// src/peer/conn.ts
var FrameConn = class {
  /** Wraps `stream`; `onDecoded` gets every frame or decode error in order. */
  constructor(stream, onDecoded) {
    this.stream = stream;
    this.onDecoded = onDecoded;
    stream.on("data", (chunk) => {
      if (!this.closed)
        for (let d of this.decoder.push(chunk)) {
          if (this.closed) return;
          this.onDecoded(d);
        }
    });
    let done = () => this.markClosed();
    stream.on("end", done), stream.on("close", done), stream.on("error", done);
  }
  stream;
  onDecoded;
  decoder = new FrameDecoder();
  closed = !1;
  closeWaiters = [];
  /** True once either side closed the stream. */
  get isClosed() {
    return this.closed;
  }
  /** Sends one frame; a no-op on a closed connection. Returns false if it was not sent. */
  send(frame2) {
    return this.closed || this.stream.destroyed ? !1 : (this.stream.write(encodeFrame(frame2)), !0);
  }
  /** Sends a frame (if any), then closes once it is flushed, and destroys after a short bound. */
  close(last) {
    this.closed || (last && this.send(last), this.markClosed(), this.stream.end(), setTimeout(() => this.stream.destroy(), 1e3).unref());
  }
  /** Destroys the stream at once. */
  destroy() {
    this.markClosed(), this.stream.destroy();
  }
  /** Resolves when the connection is closed. */
  closedPromise() {
    return this.closed ? Promise.resolve() : new Promise((r) => this.closeWaiters.push(r));
  }
  markClosed() {
    if (!this.closed) {
      this.closed = !0;
      for (let w of this.closeWaiters.splice(0)) w();
    }
  }
};

// src/peer/observer.ts
var PeerError = class extends Error {
  /** Wraps blue's ERROR `code` and `message`. */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
  code;
  name = "PeerError";
}, ObserverClient = class _ObserverClient {
  conn;
  pending = null;
  chain = Promise.resolve();
  onEventCb = null;
  closeCbs = [];
  welcome = null;
  constructor(stream) {
    this.conn = new FrameConn(stream, (d) => {
      if (!d.ok) return this.fail(new PeerError(d.code, `bad frame from blue: ${d.message}`));
      let f = d.frame;
      if (f.type === "EVENT") return void this.onEventCb?.(f.event);
      let p = this.pending;
      if (p) {
        if (f.type === "ERROR")
          return this.pending = null, p.reject(new PeerError(f.code, f.message));
        p.accept(f) && (this.pending = null, p.resolve(f));
      }
    }), this.conn.closedPromise().then(() => {
      this.fail(new PeerError("closed", "the handoff socket closed"));
      for (let cb of this.closeCbs.splice(0)) cb();
    });
  }
  /** Connects as an observer over `stream` (HELLO with `token`); resolves once WELCOME arrives. */
  static async open(stream, token, timeoutMs, client = "hermes-handoff") {
    let c = new _ObserverClient(stream);
    try {
      c.welcome = await c.request({ type: "HELLO", role: "observer", token, pid: process.pid, client }, "WELCOME", timeoutMs);
    } catch (e) {
      throw c.close(), e;
    }
    return c;
  }
  /** The current STATE. */
  status(timeoutMs) {
    return this.request({ type: "STATUS" }, "STATE", timeoutMs);
  }
  /** Subscribes: resolves with the current STATE; every later EVENT goes to `onEvent`. */
  subscribe(onEvent, timeoutMs) {
    return this.onEventCb = onEvent, this.request({ type: "SUBSCRIBE" }, "STATE", timeoutMs);
  }
  /** Reserves a handoff; rejects with PeerError('busy') when one is under way. */
  reserve(r, timeoutMs) {
    return this.request({ type: "RESERVE", ...r }, "RESERVED", timeoutMs);
  }
  /** Asks blue to end handoff `id` (release a reservation, or roll back). */
  abort(id, reason, timeoutMs) {
    return this.request({ type: "ABORT", handoff_id: id, reason }, "ABORTING", timeoutMs);
  }
  /** Calls `cb` once when the connection closes. */
  onClose(cb) {
    this.conn.isClosed ? cb() : this.closeCbs.push(cb);
  }
  /** True once the connection closed. */
  get isClosed() {
    return this.conn.isClosed;
  }
  /** Closes the connection. */
  close() {
    this.conn.destroy();
  }
  request(frame2, expect, timeoutMs) {
    let run = () => new Promise((resolve, reject) => {
      if (this.conn.isClosed) return reject(new PeerError("closed", "the handoff socket closed"));
      let timer = setTimeout(() => {
        this.pending = null, reject(new PeerError("timeout", `no ${expect} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = {
        accept: (f) => f.type === expect,
        resolve: (f) => {
          clearTimeout(timer), resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer), reject(e);
        }
      }, this.conn.send(frame2);
    }), p = this.chain.then(run, run);
    return this.chain = p.catch(() => {
    }), p;
  }
  fail(e) {
    let p = this.pending;
    this.pending = null, p?.reject(e);
  }
};

// src/handoff/observe.ts
async function readHostToken(host, paths) {
  let r = await host.exec(["cat", "--", paths.token], { timeoutMs: 15e3 }), t = r.stdout.trim();
  if (r.code !== 0 || t.length === 0) throw new Error(`cannot read the handoff token ${paths.token}: ${r.stderr.trim() || "empty"}`);
  return t;
}
async function openObserver(host, paths, token, timeoutMs = 1e4) {
  let stream = await host.openSocket(paths.socket, timeoutMs);
  return ObserverClient.open(stream, token, timeoutMs);
}
async function readHostVerdict(host, paths, id) {
  let r = await host.exec(["cat", "--", verdictPath(paths.home, id)], { timeoutMs: 15e3 });
  if (r.code !== 0) return null;
  try {
    let v = VerdictRecord.safeParse(JSON.parse(r.stdout));
    return v.success ? v.data : null;
  } catch {
    return null;
  }
}
var sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function confirmTakeover(host, paths, token, record, timeoutMs) {
  let end = Date.now() + timeoutMs, last = "no answer";
  for (; Date.now() < end; ) {
    try {
      let obs = await openObserver(host, paths, token, Math.max(1e3, Math.min(5e3, end - Date.now())));
      try {
        let st = await obs.status(5e3);
        if (st.server_pid === record.green_pid && st.release === record.release) return null;
        last = `the socket answers from pid ${st.server_pid} (release ${st.release})`;
      } finally {
        obs.close();
      }
    } catch (e) {
      last = e.message;
    }
    await sleep(100);
  }
  return `green (pid ${record.green_pid}) did not take over the handoff socket within ${Math.round(timeoutMs / 1e3)} s: ${last}`;
}

// src/handoff/result.ts
var OutcomeBuilder = class {
  /** Starts collecting for a run of `p.mode` that began at `startedAt`. */
  constructor(p, startedAt, now) {
    this.p = p;
    this.startedAt = startedAt;
    this.now = now;
    this.release = p.release;
  }
  p;
  startedAt;
  now;
  handoffId = null;
  bluePid = null;
  greenPid = null;
  darkWindowMs = null;
  bakeMs = null;
  release;
  timeline = [];
  health = [];
  checks = [];
  greenLogTail = null;
  /** Takes everything a verdict record says. */
  absorb(r) {
    this.handoffId = r.handoff_id, this.bluePid = r.blue_pid, this.greenPid = r.green_pid ?? this.greenPid, this.darkWindowMs = r.dark_window_ms, this.release = r.release, r.timeline.length > this.timeline.length && this.timeline.splice(0, this.timeline.length, ...r.timeline), r.health.length > this.health.length && this.health.splice(0, this.health.length, ...r.health);
  }
  /** The final Outcome with this verdict and reason. */
  done(verdict, reason, mode = this.p.mode) {
    return {
      mode,
      verdict,
      reason,
      target_name: this.p.targetName,
      handoff_id: this.handoffId,
      release: this.release,
      runtime: this.p.runtime,
      blue_pid: this.bluePid,
      green_pid: this.greenPid,
      dark_window_ms: this.darkWindowMs,
      bake_ms: this.bakeMs,
      started_at: this.startedAt,
      duration_ms: Math.max(0, this.now() - this.startedAt),
      timeline: this.timeline,
      health: this.health,
      checks: this.checks,
      green_log_tail: this.greenLogTail
    };
  }
};

// src/handoff/preflight.ts
var MIN_FREE_KIB = 100 * 1024;
async function preflight(p, io) {
  let now = io.now ?? Date.now, out = new OutcomeBuilder(p, now(), now), check = (name, ok, detail) => (out.checks.push({ name, ok, detail }), (ok ? io.log.info : io.log.warn)(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`), ok), host = io.host;
  check("host reachable", !0, host.kind === "ssh" ? "connected over SSH with a verified host key" : "running on the host itself");
  let paths = null;
  try {
    paths = await resolvePaths(host, p.hermesHome, p.socketPath, p.workdir);
    let r = await host.exec(["test", "-d", paths.home], { timeoutMs: 1e4 });
    check("hermes-home exists", r.code === 0, r.code === 0 ? paths.home : `${paths.home} is not a directory`);
  } catch (e) {
    check("hermes-home exists", !1, e.message);
  }
  if (paths) {
    let token = null;
    try {
      token = await readHostToken(host, paths), io.addSecret?.(token), check("token readable", !0, paths.token);
    } catch (e) {
      check("token readable", !1, e.message);
    }
    if (token)
      try {
        let obs = await openObserver(host, paths, token);
        check("socket answers", !0, `${paths.socket} (blue pid ${obs.welcome?.server_pid})`);
        let st = await obs.status(1e4);
        obs.close(), out.bluePid = st.server_pid, out.release = p.release, check("blue is idle", st.phase === "idle" && st.handoff === null, st.handoff ? `handoff ${st.handoff.id} is ${st.phase}` : `phase ${st.phase}, release ${st.release}, runtime ${st.runtime}`);
      } catch (e) {
        check("socket answers", !1, `${paths.socket}: ${e.message}`);
      }
    let df = await host.exec(["df", "-Pk", "--", paths.home], { timeoutMs: 1e4 }).catch(() => null), avail = df && df.code === 0 ? Number.parseInt(df.stdout.trim().split(`
`).pop()?.split(/\s+/)[3] ?? "", 10) : NaN;
    check("free disk", avail >= MIN_FREE_KIB, Number.isFinite(avail) ? `${Math.round(avail / 1024)} MiB free under ${paths.home}` : "could not read free space");
  }
  if (p.greenCommand) {
    let word = p.greenCommand.trim().split(/\s+/)[0] ?? "", argv = ["sh", "-c", 'if [ -n "$1" ]; then cd "$1" || exit 3; fi; command -v "$2"', "hermes-preflight", paths?.workdir ?? p.workdir ?? "", word], r = await host.exec(argv, { timeoutMs: 1e4 }).catch((e) => ({ code: 1, stdout: "", stderr: e.message, signal: null }));
    check("green command resolves", r.code === 0, r.code === 0 ? `${word} -> ${r.stdout.trim()}` : `${word} not found on the host's PATH${p.workdir ? ` in ${p.workdir}` : ""} (non-interactive shells may have a shorter PATH)`);
  } else p.mode === "promote" && check("green command resolves", !1, "no green-command given");
  let failed = out.checks.find((c) => !c.ok);
  return failed ? out.done("not-ready", `${failed.name}: ${failed.detail}`) : out.done("ready", `all ${out.checks.length} checks passed`);
}

// src/handoff/follow.ts
var fmtS = (ms) => `${Math.round(ms / 1e3)} s`;
function settled(rec, now, takeoverMs = DEFAULT_DEADLINES.takeover_ms) {
  return rec.verdict !== "promoted" || rec.decided_by === "green" || now - rec.decided_at > takeoverMs + 5e3;
}
async function followHandoff(a) {
  let now = a.io.now ?? Date.now, every = a.io.progressEveryMs ?? 1e4, phase = "reserved", bake = null, lastProgress = now(), obs = a.first ?? null, delay = 200, seen = new Set(a.timeline.map((t) => `${t.phase}@${t.at}`)), onPhase = (p, at, note) => {
    let key = `${p}@${at}`;
    seen.has(key) || (seen.add(key), a.timeline.push({ phase: p, at, ...note ? { note } : {} }), phase = p, a.io.log.info(`phase ${p}${note ? `: ${note}` : ""}`), a.io.onPhase?.(p, note ?? p));
  }, onEvent = (e) => {
    if (e.kind === "phase" && e.handoff_id === a.id && onPhase(e.phase, e.at, e.note), e.kind === "health" && e.handoff_id === a.id && (a.health.push(e.sample), bake && now() - lastProgress >= every)) {
      lastProgress = now();
      let w = a.health.slice(-10), handled = w.reduce((x, s) => x + s.handled, 0), errors = w.reduce((x, s) => x + s.errors, 0), p99 = w.reduce((x, s) => Math.max(x, s.latency_p99_ms), 0);
      a.io.log.info(
        `bake ${fmtS(now() - bake.started)}/${fmtS(bake.ms)}: green handled ${handled} in the last ${w.length} heartbeats, error rate ${handled ? (errors / handled * 100).toFixed(1) : "0.0"}%, p99 ${Math.round(p99)} ms`
      );
    }
  };
  for (; now() < a.deadlineAt; ) {
    if (!obs || obs.isClosed)
      try {
        obs = await openObserver(a.io.host, a.paths, a.token, Math.max(1e3, Math.min(1e4, a.deadlineAt - now()))), delay = 200;
      } catch (e) {
        let rec = await readHostVerdict(a.io.host, a.paths, a.id).catch(() => null);
        if (rec && settled(rec, now())) return { kind: "verdict", record: rec };
        a.io.log.warn(`cannot reach the handoff socket (${e.message}); retrying in ${delay} ms`), await sleep(Math.min(delay, Math.max(0, a.deadlineAt - now()))), delay = Math.min(delay * 2, 5e3);
        continue;
      }
    let verdict = null, wake = null, c = obs, subscribeHandler = (e) => {
      onEvent(e), e.kind === "verdict" && e.record.handoff_id === a.id && (verdict = e.record, wake?.());
    }, state;
    try {
      state = await c.subscribe(subscribeHandler, 1e4);
    } catch (e) {
      a.io.log.warn(`lost the handoff socket while subscribing: ${e.message}`), c.close();
      continue;
    }
    for (let t of state.timeline) (state.handoff?.id === a.id || state.last_verdict?.handoff_id === a.id) && onPhase(t.phase, t.at, t.note);
    if (state.handoff?.id === a.id)
      phase = state.phase, state.handoff.bake_started_at && (bake = { started: state.handoff.bake_started_at, ms: state.handoff.bake_ms });
    else {
      if (state.last_verdict?.handoff_id === a.id)
        return c.close(), { kind: "verdict", record: state.last_verdict };
      {
        let rec = await readHostVerdict(a.io.host, a.paths, a.id).catch(() => null);
        if (c.close(), rec && settled(rec, now())) return { kind: "verdict", record: rec };
        await sleep(Math.min(500, Math.max(0, a.deadlineAt - now())));
        continue;
      }
    }
    for (; !verdict && !c.isClosed && now() < a.deadlineAt; )
      if (await new Promise((r) => {
        wake = r, c.onClose(r), setTimeout(r, Math.min(1e3, Math.max(1, a.deadlineAt - now())));
      }), wake = null, phase === "baking" && !bake && (bake = { started: a.timeline.find((t) => t.phase === "baking")?.at ?? now(), ms: state.handoff.bake_ms }), !verdict && phase === "reserved" && a.checkUnclaimed) {
        let why = await a.checkUnclaimed();
        why && await c.abort(a.id, why, 1e4).catch(() => {
        });
      }
    if (verdict)
      return c.close(), { kind: "verdict", record: verdict };
    c.isClosed && a.io.log.warn("the handoff socket closed; re-attaching with STATUS");
  }
  return obs?.close(), { kind: "timeout", phase };
}

// src/host/quote.ts
function shellQuote(word) {
  if (word.includes("\0")) throw new Error("a shell word cannot contain a NUL byte");
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
function shellJoin(argv) {
  return argv.map(shellQuote).join(" ");
}

// src/handoff/launch.ts
var ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
function envFileText(env) {
  return Object.entries(env).map(([k, v]) => {
    if (!ENV_KEY.test(k)) throw new Error(`environment variable name ${JSON.stringify(k)} is not a valid identifier`);
    return `export ${k}=${shellQuote(v)}
`;
  }).join("");
}
var LAUNCH_SCRIPT = `set -eu
log=$1; wd=$2; cmd=$3; launcher=$4; unit=$5; keep=$6
umask 077
mkdir -p "$(dirname "$log")"
if [ -n "$wd" ]; then cd "$wd"; fi
if [ "$launcher" = systemd ]; then
  mkdir -p "$(dirname "$keep")"
  cat > "$keep"
  systemd-run --user --quiet --collect --unit="$unit" -p Restart=on-failure -p RestartSec=1 -p KillMode=mixed \\
    -p "StandardOutput=append:$log" -p "StandardError=append:$log" --working-directory="$(pwd)" \\
    sh -c '. "$1"; exec sh -c "$2"' hermes-green "$keep" "$cmd"
  systemctl --user show -p MainPID --value "$unit"
else
  envf=$(mktemp "\${TMPDIR:-/tmp}/hermes-green-env.XXXXXX")
  cat > "$envf"
  setsid sh -c '. "$1"; rm -f "$1"; exec sh -c "$2"' hermes-green "$envf" "$cmd" </dev/null >>"$log" 2>&1 &
  echo $!
fi
`;
function launchArgv(spec) {
  return ["sh", "-c", LAUNCH_SCRIPT, "hermes-launch", spec.logPath, spec.workdir ?? "", spec.greenCommand, spec.launcher, spec.unit, spec.envPath];
}
function unitName(template, handoffId) {
  let base = template.endsWith(".service") ? template.slice(0, -8) : template;
  return base.endsWith("@") ? `${base}${handoffId}.service` : `${base}-${handoffId}.service`;
}
async function launchGreen(host, spec) {
  let r = await host.exec(launchArgv(spec), { stdin: envFileText(spec.env), timeoutMs: 3e4 }), pid = Number.parseInt(r.stdout.trim().split(`
`).pop() ?? "", 10);
  if (r.code !== 0 || !Number.isInteger(pid) || pid <= 0)
    throw new Error(`could not start green (exit ${r.code ?? r.signal}): ${r.stderr.trim().slice(-500) || "no output"}`);
  return pid;
}

// src/handoff/mint.ts
import { randomBytes as randomBytes2 } from "node:crypto";
function mintHandoffId(release, now = Date.now()) {
  let rel = release.replace(/[^A-Za-z0-9]/g, "").slice(0, 12) || "release";
  return parseHandoffId(`${new Date(now).toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${rel}-${randomBytes2(3).toString("hex")}`);
}

// src/handoff/verdicts.ts
function verdictOutcome(r, requested) {
  let note = r.record_error ? ` (${r.record_error})` : "";
  return r.verdict === "promoted" && r.release !== requested ? { verdict: "failed", reason: `green serves release ${r.release}, not the requested ${requested}${note}` } : { verdict: r.verdict, reason: r.reason + note };
}

// src/handoff/green-log.ts
async function tailGreenLog(host, path, lines = 40) {
  let r = await host.exec(["tail", "-n", String(lines), "--", path], { timeoutMs: 1e4 }).catch(() => null);
  return r && r.code === 0 ? r.stdout : null;
}

// src/handoff/promote.ts
function heartbeatFor(bakeMs) {
  return Math.max(100, Math.min(1e3, Math.floor(bakeMs / 10)));
}
var PID_RUNS = 'kill -0 "$1" 2>/dev/null || exit 1; case $(ps -o stat= -p "$1" 2>/dev/null) in Z*) exit 1;; esac; exit 0';
async function promote(p, io) {
  let now = io.now ?? Date.now, started = now(), deadlineAt = started + p.timeoutMs, out = new OutcomeBuilder(p, started, now);
  out.bakeMs = p.bakeMs;
  let host = io.host, obs = null, paths = null;
  try {
    if (!p.greenCommand) return out.done("failed", "no green-command: nothing to start");
    paths = await resolvePaths(host, p.hermesHome, p.socketPath, p.workdir);
    let token = await readHostToken(host, paths);
    io.addSecret?.(token), obs = await openObserver(host, paths, token), out.bluePid = obs.welcome?.server_pid ?? null;
    let state = await obs.status(1e4);
    if (state.phase === "idle" && state.release === p.release && state.runtime === p.runtime)
      return out.done("unchanged", `release ${p.release} (runtime ${p.runtime}) already serves on ${p.targetName}`);
    let id = mintHandoffId(p.release, now());
    out.handoffId = id, io.onPhase?.("reserving", `reserving handoff ${id}`);
    try {
      await obs.reserve(
        { handoff_id: id, release: p.release, runtime: p.runtime, bake_ms: p.bakeMs, thresholds: p.thresholds, deadlines: { heartbeat_ms: heartbeatFor(p.bakeMs), ...p.deadlines } },
        1e4
      );
    } catch (e) {
      if (e instanceof PeerError && e.code === "busy") return out.done("failed", `the host refused the handoff: ${e.message}`);
      throw e;
    }
    io.log.info(`reserved handoff ${id} for release ${p.release}`);
    let abandon = async (reason) => (await obs?.abort(id, reason, 1e4).catch(() => {
    }), reason);
    if (p.prepareCommand) {
      io.onPhase?.("preparing", "running prepare-command");
      let budgetMs = Math.max(1e3, deadlineAt - now() - 3e4), limit = ["timeout", "-k", "5", `${Math.ceil(budgetMs / 1e3)}s`], argv = paths.workdir ? [...limit, "sh", "-c", 'cd "$1" && exec sh -c "$2"', "hermes-prepare", paths.workdir, p.prepareCommand] : [...limit, "sh", "-c", p.prepareCommand], r = await host.exec(argv, { timeoutMs: budgetMs + 1e4, stdin: "" });
      if (r.code !== 0) {
        let tail = (r.stderr || r.stdout).trim().split(`
`).slice(-5).join(" | ");
        return out.done("failed", await abandon(`prepare-command failed (exit ${r.code ?? r.signal})${tail ? `: ${tail}` : ""}`));
      }
    }
    let log = greenLogPath(paths, id), launcherPid;
    try {
      launcherPid = await launchGreen(host, {
        logPath: log,
        envPath: `${paths.home}/run/green-${id}.env`,
        workdir: paths.workdir,
        greenCommand: p.greenCommand,
        launcher: p.launcher,
        unit: unitName(p.systemdUnit, id),
        env: { ...p.greenEnv, HERMES_HOME: paths.home, HERMES_RUNTIME: p.runtime, HERMES_RELEASE: p.release, HERMES_HANDOFF_ID: id }
      });
    } catch (e) {
      return out.done("failed", await abandon(e.message));
    }
    out.greenPid = launcherPid, io.log.info(`started green (launcher pid ${launcherPid}); log ${log}`);
    let unclaimedSince = null, end = await followHandoff({
      io,
      paths,
      token,
      id,
      deadlineAt,
      first: obs,
      timeline: out.timeline,
      health: out.health,
      // A green that died before HELLO would otherwise hold the reservation until it expires.
      checkUnclaimed: async () => {
        let r = await host.exec(["sh", "-c", PID_RUNS, "hermes-pid-runs", String(launcherPid)], { timeoutMs: 1e4 }).catch(() => null);
        return !r || r.code === 0 ? null : (unclaimedSince ??= now(), now() - unclaimedSince >= 1e3 ? `green exited before connecting to the handoff socket (see ${log})` : null);
      }
    });
    if (obs = null, end.kind === "timeout")
      return out.done("timed-out", `the action's deadline of ${Math.round(p.timeoutMs / 1e3)} s passed while the host was in phase ${end.phase}; rerun with mode: status`);
    out.absorb(end.record);
    let o = verdictOutcome(end.record, p.release);
    if (o.verdict === "promoted") {
      let why = await confirmTakeover(host, paths, token, end.record, Math.max(1e3, Math.min(15e3, deadlineAt - now())));
      why && (o = { verdict: "failed", reason: `blue decided promoted, but ${why}` });
    }
    return o.verdict !== "promoted" && (out.greenLogTail = await tailGreenLog(host, log)), out.done(o.verdict, o.reason);
  } catch (e) {
    let msg = e.message;
    return now() >= deadlineAt ? out.done("timed-out", `the action's deadline passed: ${msg}; rerun with mode: status`) : out.done("failed", msg);
  } finally {
    obs?.close();
  }
}

// src/handoff/rollback.ts
async function rollback(p, io) {
  let now = io.now ?? Date.now, started = now(), out = new OutcomeBuilder(p, started, now);
  try {
    let paths = await resolvePaths(io.host, p.hermesHome, p.socketPath), token = await readHostToken(io.host, paths);
    io.addSecret?.(token);
    let obs = await openObserver(io.host, paths, token), state = await obs.status(1e4);
    out.bluePid = state.server_pid;
    let h = state.handoff;
    if (!h || p.handoffId && p.handoffId !== h.id)
      return obs.close(), out.release = state.release, out.done(
        "failed",
        `nothing to roll back on ${p.targetName}: no handoff is under way (release ${state.release} serves); to undo a finished promotion, promote the previous release`
      );
    out.handoffId = h.id, await obs.abort(h.id, "rollback requested by hermes-handoff (mode: rollback)", 1e4), io.log.info(`asked blue to roll back handoff ${h.id} (phase ${state.phase})`);
    let end = await followHandoff({ io, paths, token, id: h.id, deadlineAt: started + p.timeoutMs, first: obs, timeline: out.timeline, health: out.health });
    if (end.kind === "timeout") return out.done("timed-out", `handoff ${h.id} is still in phase ${end.phase}; rerun with mode: status`);
    out.absorb(end.record);
    let o = verdictOutcome(end.record, end.record.release);
    return out.done(o.verdict, o.reason);
  } catch (e) {
    return out.done("failed", e.message);
  }
}

// src/handoff/status.ts
async function status(p, io) {
  let now = io.now ?? Date.now, started = now(), out = new OutcomeBuilder(p, started, now);
  try {
    let paths = await resolvePaths(io.host, p.hermesHome, p.socketPath);
    if (p.handoffId) {
      let rec = await readHostVerdict(io.host, paths, p.handoffId);
      if (rec && settled(rec, now())) {
        out.absorb(rec);
        let o2 = verdictOutcome(rec, rec.release);
        return out.done(o2.verdict, o2.reason);
      }
    }
    let token = await readHostToken(io.host, paths);
    io.addSecret?.(token);
    let obs = await openObserver(io.host, paths, token), state = await obs.status(1e4);
    out.bluePid = state.server_pid;
    let id = p.handoffId ?? state.handoff?.id ?? state.last_verdict?.handoff_id ?? null;
    if (!id)
      return obs.close(), out.release = state.release, out.done("failed", `no handoff has run on ${p.targetName} yet; release ${state.release} (runtime ${state.runtime}) serves`);
    out.handoffId = id;
    let end = await followHandoff({ io, paths, token, id, deadlineAt: started + p.timeoutMs, first: obs, timeline: out.timeline, health: out.health });
    if (end.kind === "timeout") return out.done("timed-out", `handoff ${id} is still in phase ${end.phase}; rerun with mode: status`);
    out.absorb(end.record);
    let o = verdictOutcome(end.record, end.record.release);
    return out.done(o.verdict, o.reason);
  } catch (e) {
    return out.done("failed", e.message);
  }
}

// src/handoff/run.ts
function runMode(p, io) {
  switch (p.mode) {
    case "promote":
      return promote(p, io);
    case "preflight":
      return preflight(p, io);
    case "status":
      return status(p, io);
    case "rollback":
      return rollback(p, io);
  }
}

// src/host/local/local-host.ts
import { spawn } from "node:child_process";
import { createConnection } from "node:net";
var MAX_OUTPUT = 1024 * 1024;
function collector() {
  let chunks = [], size = 0;
  return {
    push(b) {
      for (chunks.push(b), size += b.length; size > MAX_OUTPUT && chunks.length > 1; ) size -= chunks.shift().length;
    },
    text: () => Buffer.concat(chunks).toString("utf8"),
    reset: () => {
      chunks = [], size = 0;
    }
  };
}
var LocalHost = class {
  kind = "local";
  sockets = /* @__PURE__ */ new Set();
  /** Runs argv directly (no shell) and resolves with its exit status and output. */
  exec(argv, opts) {
    let [cmd, ...args] = argv;
    return cmd ? new Promise((resolve, reject) => {
      let child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] }), out = collector(), err = collector();
      child.stdout.on("data", (b) => out.push(b)), child.stderr.on("data", (b) => err.push(b)), child.stdin.on("error", () => {
      });
      let timer = setTimeout(() => {
        child.kill("SIGKILL"), reject(new Error(`${cmd} did not finish within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      child.once("error", (e) => {
        clearTimeout(timer), reject(new Error(`${cmd}: ${e.message}`));
      }), child.once("close", (code, signal) => {
        clearTimeout(timer), resolve({ code, signal, stdout: out.text(), stderr: err.text() });
      }), child.stdin.end(opts.stdin ?? "");
    }) : Promise.reject(new Error("exec: empty argv"));
  }
  /** Connects to the Unix socket at `path`. */
  openSocket(path, timeoutMs) {
    return new Promise((resolve, reject) => {
      let s = createConnection(path), timer = setTimeout(() => {
        s.destroy(), reject(new Error(`${path}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer), s.removeAllListeners("error"), s.on("error", () => {
        }), this.sockets.add(s), s.once("close", () => this.sockets.delete(s)), resolve(s);
      }), s.once("error", (e) => {
        clearTimeout(timer), reject(new Error(`${path}: ${e.code === "ENOENT" ? "no socket there" : e.code === "ECONNREFUSED" ? "nothing listening" : e.message}`));
      });
    });
  }
  /** Closes every socket this host opened. */
  async close() {
    for (let s of this.sockets) s.destroy();
    this.sockets.clear();
  }
};

// src/host/ssh/connect.ts
import { isAbsolute } from "node:path";
import { setTimeout as sleep2 } from "node:timers/promises";

// src/host/host.ts
var HostConnectionError = class extends Error {
  name = "HostConnectionError";
};

// src/host/ssh/backoff.ts
function backoffDelay(n, baseDelayMs, maxDelayMs) {
  return n <= 1 ? 0 : Math.min(maxDelayMs, baseDelayMs * 2 ** (n - 2));
}

// src/host/ssh/channel-socket.ts
import { Duplex } from "node:stream";
var ChannelSocket = class extends Duplex {
  constructor(channel, onGone = () => {
  }) {
    super({ allowHalfOpen: !1 });
    this.channel = channel;
    this.onGone = onGone;
    channel.on("data", (chunk) => {
      this.push(chunk) || channel.pause();
    }), channel.on("end", () => this.endReadable()), channel.on("close", () => this.markGone()), channel.on("error", (err) => this.destroy(err)), channel.on("drain", () => this.flushPending());
  }
  channel;
  onGone;
  gone = !1;
  ended = !1;
  pendingWrite = null;
  _read() {
    this.channel.resume();
  }
  _write(chunk, _enc, cb) {
    if (this.gone) {
      cb(new Error("write to a closed SSH channel: the far side of the socket has gone"));
      return;
    }
    this.channel.write(chunk) ? cb() : this.pendingWrite = () => cb();
  }
  _final(cb) {
    if (!this.gone)
      try {
        this.channel.end();
      } catch {
      }
    cb();
  }
  _destroy(err, cb) {
    if (!this.gone)
      try {
        this.channel.close();
      } catch {
      }
    this.markGone(), cb(err);
  }
  endReadable() {
    this.ended || (this.ended = !0, this.push(null));
  }
  flushPending() {
    let done = this.pendingWrite;
    this.pendingWrite = null, done?.();
  }
  markGone() {
    this.gone || (this.gone = !0, this.endReadable(), this.flushPending(), this.onGone());
  }
};

// src/host/ssh/dial.ts
var import_ssh22 = __toESM(require_lib2(), 1);

// src/host/ssh/errors.ts
function isPermanent(err) {
  return err instanceof HostConnectionError && err.permanent === !0;
}
function permanentError(message) {
  let e = new HostConnectionError(message);
  return Object.defineProperty(e, "permanent", { value: !0 }), e;
}
function wrapSshError(err, ctx) {
  if (err instanceof HostConnectionError) return err;
  let e = typeof err == "object" && err !== null ? err : { message: String(err) }, msg = typeof e.message == "string" ? e.message : String(err), code = typeof e.code == "string" ? e.code : "", level = typeof e.level == "string" ? e.level : "", at = ctx.who.slice(ctx.who.indexOf("@") + 1), out;
  return level === "client-authentication" ? out = permanentError(
    `SSH authentication failed for ${ctx.who}: the server accepted none of the offered methods (publickey). Check that the public half of the private key is in the authorized_keys of that user on the host, and the username.`
  ) : code === "ECONNREFUSED" ? out = new HostConnectionError(`SSH connection to ${at} refused: nothing listens on that port (is sshd running, and is the port right?)`) : code === "ENOTFOUND" || code === "EAI_AGAIN" ? out = new HostConnectionError(`SSH host ${at}: the name does not resolve (${code})`) : code === "ETIMEDOUT" || code === "EHOSTUNREACH" || code === "ENETUNREACH" ? out = new HostConnectionError(`SSH connection to ${at} failed: ${code} (host unreachable or a firewall drops the packets)`) : code === "ECONNRESET" || code === "EPIPE" ? out = new HostConnectionError(`SSH connection to ${at} was reset by the peer (${code})`) : level === "client-timeout" && /keepalive/i.test(msg) ? out = new HostConnectionError(
    `SSH connection to ${at} lost: ${ctx.keepaliveCountMax} keepalives sent every ${ctx.keepaliveIntervalMs} ms went unanswered`
  ) : level === "client-timeout" ? out = new HostConnectionError(`SSH connection to ${at} timed out after ${ctx.readyTimeoutMs} ms waiting for the handshake`) : /cannot parse privatekey|private key|passphrase/i.test(msg) ? out = permanentError(`the private key for ${ctx.who} cannot be used: ${msg.replace(/^Cannot parse privateKey: /, "")}`) : out = new HostConnectionError(`SSH connection to ${at} failed: ${msg}${code ? ` (${code})` : ""}`), out.cause = err, out;
}

// src/host/ssh/dial.ts
function whoOf(e) {
  return `${e.username}@${e.host}:${e.port}`;
}
function checkPrivateKey(e) {
  let parsed = import_ssh22.default.utils.parseKey(e.privateKey, e.passphrase);
  if (parsed instanceof Error) throw permanentError(`the private key for ${whoOf(e)} cannot be used: ${parsed.message}`);
}
async function dial(opts, target, jump, log) {
  if (!jump) return { target: await connectClient(target, opts, log), jump: null };
  let j = await connectClient(jump, opts, log);
  try {
    let stream = await forward(j, target, errorContext(j.who, opts));
    return { target: await connectClient(target, opts, log, stream), jump: j };
  } catch (err) {
    throw j.client.end(), err;
  }
}
function forward(j, target, ctx) {
  return new Promise((resolve, reject) => {
    try {
      j.client.forwardOut("127.0.0.1", 0, target.host, target.port, (err, ch) => {
        err ? reject(new HostConnectionError(`the jump host ${j.who} could not open a TCP connection to ${target.host}:${target.port}: ${err.message} (is AllowTcpForwarding enabled there, and is the target reachable from it?)`)) : resolve(ch);
      });
    } catch (err) {
      reject(wrapSshError(err, ctx));
    }
  });
}
function errorContext(who, o) {
  return { who, readyTimeoutMs: o.readyTimeoutMs, keepaliveIntervalMs: o.keepaliveIntervalMs, keepaliveCountMax: o.keepaliveCountMax };
}
function connectClient(e, opts, log, sock) {
  let who = whoOf(e), ctx = errorContext(who, opts), client = new import_ssh22.default.Client(), refusal = null, last = null, closed = !1, config = {
    host: e.host,
    port: e.port,
    username: e.username,
    privateKey: e.privateKey,
    passphrase: e.passphrase,
    readyTimeout: opts.readyTimeoutMs,
    keepaliveInterval: opts.keepaliveIntervalMs,
    keepaliveCountMax: opts.keepaliveCountMax,
    // only public-key auth: never fall back to agent, password or keyboard prompts on a runner
    authHandler: ["publickey"],
    hostVerifier: (key) => {
      let d = e.policy.verify(key);
      return d.ok ? (d.via === "insecure" && log.warn(
        `INSECURE: the host key of ${e.policy.alias} was NOT verified (insecure-skip-host-key-check is set and no pin is given). Anyone who can intercept this connection could impersonate the host and receive every command and secret of this run. The server offered ${d.fingerprint} (${d.keyType}); if that is the real key, pin it: ${e.policy.fingerprintInput}: ${d.fingerprint}`
      ), !0) : (refusal = d.message, !1);
    }
  };
  return e.policy.serverHostKey && (config.algorithms = { serverHostKey: e.policy.serverHostKey }), sock && (config.sock = sock), new Promise((resolve, reject) => {
    let settled2 = !1, fail = (err) => {
      settled2 || (settled2 = !0, client.end(), reject(refusal !== null ? permanentError(refusal) : wrapSshError(err, ctx)));
    };
    client.on("error", (err) => {
      last = err, fail(err);
    }), client.once("close", () => {
      closed = !0, fail(new Error("the server closed the connection during the handshake"));
    }), client.once("ready", () => {
      settled2 || (settled2 = !0, client.setNoDelay(!0), resolve({ client, who, lastError: () => last, isClosed: () => closed }));
    });
    try {
      client.connect(config);
    } catch (err) {
      fail(err);
    }
  });
}

// src/host/ssh/tail-buffer.ts
var TailBuffer = class {
  constructor(cap) {
    this.cap = cap;
  }
  cap;
  chunks = [];
  size = 0;
  /** Bytes dropped from the front so far. */
  dropped = 0;
  /** Appends a chunk, dropping the oldest bytes beyond the cap. */
  push(chunk) {
    for (this.chunks.push(chunk), this.size += chunk.length; this.size > this.cap && this.chunks.length > 0; ) {
      let first = this.chunks[0], excess = this.size - this.cap;
      first.length <= excess ? (this.chunks.shift(), this.size -= first.length, this.dropped += first.length) : (this.chunks[0] = first.subarray(excess), this.size -= excess, this.dropped += excess);
    }
  }
  /** The kept bytes as UTF-8 text. */
  text() {
    return Buffer.concat(this.chunks).toString("utf8");
  }
};

// src/host/ssh/exec.ts
var OUTPUT_CAP_BYTES = 1024 * 1024;
function execOnClient(client, argv, opts, ctx) {
  let name = argv[0] ?? "", command2 = shellJoin(argv);
  return new Promise((resolve, reject) => {
    let settled2 = !1, channel = null, finish = (fn) => {
      settled2 || (settled2 = !0, clearTimeout(timer), fn());
    }, timer = setTimeout(() => {
      if (finish(() => reject(new Error(`command ${name} on ${ctx.who} timed out after ${ctx.requestedTimeoutMs ?? opts.timeoutMs} ms and was killed`))), channel)
        try {
          killChannel(channel), channel.close();
        } catch {
        }
    }, opts.timeoutMs);
    try {
      client.exec(command2, (err, ch) => {
        if (err) {
          finish(() => reject(ctx.isAlive() ? new Error(`cannot start ${name} on ${ctx.who}: the server refused a session channel (${err.message})`) : new HostConnectionError(`SSH connection to ${ctx.who} lost before ${name} could start`)));
          return;
        }
        if (channel = ch, settled2) {
          ch.close();
          return;
        }
        let stdout = new TailBuffer(OUTPUT_CAP_BYTES), stderr = new TailBuffer(OUTPUT_CAP_BYTES), code = null, signal = null, exited = !1;
        ch.on("data", (c) => stdout.push(c)), ch.stderr.on("data", (c) => stderr.push(c)), ch.on("exit", (c, s) => {
          exited = !0, code = typeof c == "number" ? c : null, signal = typeof s == "string" ? s : null;
        }), ch.on("error", (e) => finish(() => reject(new Error(`command ${name} on ${ctx.who}: channel error: ${e.message}`)))), ch.on("close", () => {
          if (!exited && !ctx.isAlive()) {
            finish(() => reject(new HostConnectionError(`SSH connection to ${ctx.who} lost while ${name} was running`)));
            return;
          }
          finish(() => resolve({ code, signal, stdout: stdout.text(), stderr: stderr.text() }));
        }), opts.stdin !== void 0 && opts.stdin !== "" ? ch.end(opts.stdin) : ch.end();
      });
    } catch (err) {
      finish(() => reject(new HostConnectionError(`SSH connection to ${ctx.who} is not open: ${err.message}`)));
    }
  });
}
function killChannel(ch) {
  if (ch.writable) {
    ch.signal("KILL");
    return;
  }
  let c = ch, id = c.outgoing?.id, state = c.outgoing?.state, send = c._client?._protocol?.signal;
  typeof id == "number" && (state === "open" || state === "eof") && typeof send == "function" && send.call(c._client._protocol, id, "KILL");
}

// src/host/ssh/fingerprint.ts
import { createHash } from "node:crypto";
function fingerprintOf(blob) {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}
function normalizeFingerprint(fp) {
  return fp.trim().replace(/=+$/, "");
}
function keyTypeOf(blob) {
  if (blob.length < 4) return null;
  let len = (blob[0] << 24 | blob[1] << 16 | blob[2] << 8 | blob[3]) >>> 0;
  if (len === 0 || len > 64 || 4 + len > blob.length) return null;
  let type = Buffer.from(blob.subarray(4, 4 + len)).toString("latin1");
  return /^[\x21-\x7e]+$/.test(type) ? type : null;
}

// src/host/ssh/known-hosts.ts
import { createHmac } from "node:crypto";
var KEY_TYPE2 = /^(ssh-|ecdsa-|sk-)[A-Za-z0-9@.-]+$/;
function parseKnownHosts(texts) {
  let entries = [], warnings = [];
  return texts.flatMap((t) => t.split(/\r?\n/)).forEach((raw, i) => {
    let n = i + 1, text = raw.trim();
    if (text === "" || text.startsWith("#")) return;
    let fields = text.split(/\s+/), marker = null;
    if (fields[0]?.startsWith("@")) {
      if (fields[0] === "@cert-authority") {
        warnings.push(`known-hosts line ${n}: @cert-authority is not supported (host certificates are not checked); pin the host key itself. The line is ignored.`);
        return;
      }
      if (fields[0] !== "@revoked") {
        warnings.push(`known-hosts line ${n}: unknown marker ${fields[0]}; expected @revoked. The line is ignored.`);
        return;
      }
      marker = "revoked", fields = fields.slice(1);
    }
    let patterns, type, b64;
    if (KEY_TYPE2.test(fields[0] ?? "") && fields[1] !== void 0 && decodesToType(fields[1], fields[0]) ? (patterns = null, [type, b64] = fields) : (patterns = (fields[0] ?? "").split(",").filter((p) => p !== ""), [, type, b64] = fields), type === void 0 || b64 === void 0 || patterns !== null && patterns.length === 0) {
      warnings.push(`known-hosts line ${n}: expected "[@revoked] hosts key-type base64-key [comment]". The line is ignored.`);
      return;
    }
    let blob = decodeBase64(b64), inner = blob ? keyTypeOf(blob) : null;
    if (!blob || inner === null) {
      warnings.push(`known-hosts line ${n}: the key is not valid base64 of an SSH public key. The line is ignored.`);
      return;
    }
    if (inner !== type) {
      warnings.push(`known-hosts line ${n}: the key type field says ${type} but the key is ${inner}. The line is ignored.`);
      return;
    }
    if (type.includes("-cert-v01@openssh.com")) {
      warnings.push(`known-hosts line ${n}: certificate keys (${type}) are not supported; pin the plain host key. The line is ignored.`);
      return;
    }
    entries.push({ line: n, marker, patterns, keyType: type, keyBlob: blob, fingerprint: fingerprintOf(blob) });
  }), { entries, warnings };
}
function lookupName(host, port) {
  let h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}
function entryMatchesHost(entry, host, port) {
  if (entry.patterns === null) return !0;
  let name = lookupName(host, port), matched = !1;
  for (let pattern of entry.patterns) {
    let negated = pattern.startsWith("!"), p = negated ? pattern.slice(1) : pattern, hit = p.startsWith("|1|") ? hashedMatches(p, name) : globMatches(p.toLowerCase(), name);
    if (hit && negated) return !1;
    hit && (matched = !0);
  }
  return matched;
}
function hashedMatches(pattern, name) {
  let [, , salt, hash] = pattern.split("|");
  return !salt || !hash ? !1 : createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
}
function globMatches(pattern, name) {
  let re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(name);
}
function decodeBase64(text) {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  let buf = Buffer.from(text, "base64");
  return buf.length > 0 ? buf : null;
}
function decodesToType(b64, type) {
  let blob = decodeBase64(b64);
  return blob !== null && keyTypeOf(blob) === type;
}

// src/host/ssh/host-key-policy.ts
var ALGORITHMS_FOR_TYPE = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
  "ssh-dss": ["ssh-dss"]
}, PREFERENCE = Object.values(ALGORITHMS_FOR_TYPE).flat();
function inputNames(role) {
  return role === "jump" ? { kh: "jump-known-hosts", fp: "jump-host-fingerprint" } : { kh: "known-hosts", fp: "host-fingerprint" };
}
function pinHint(host, port, role = "target") {
  let { kh, fp } = inputNames(role);
  return [
    "Get the host key pin from a machine you trust (best: on the host itself, ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub):",
    `  ssh-keyscan -p ${port} -t ed25519 ${host} | ssh-keygen -lf -   -> put the SHA256:... value in ${fp}`,
    `  ssh-keyscan -p ${port} -t ed25519 ${host}                      -> put the printed line in ${kh}`
  ].join(`
`);
}
function hostKeyPolicy(t) {
  let alias = `${t.host}:${t.port}`, { kh, fp: fpInput } = inputNames(t.role), parsed = parseKnownHosts(t.pins.knownHosts), warnings = [...parsed.warnings], revoked = parsed.entries.filter((e) => e.marker === "revoked"), pinned = [];
  for (let e of parsed.entries)
    e.marker === null && (entryMatchesHost(e, t.host, t.port) ? pinned.push(e) : warnings.push(`${kh} line ${e.line} (${e.keyType} ${e.fingerprint}) is for other hosts than ${alias} and is ignored${portHint(e, t.host, t.port)}.`));
  for (let e of pinned)
    ALGORITHMS_FOR_TYPE[e.keyType] || warnings.push(`${kh} line ${e.line}: key type ${e.keyType} is not supported by the SSH client, so this pin can never match.`);
  let fingerprints2 = t.pins.fingerprints.map(normalizeFingerprint), expected = [.../* @__PURE__ */ new Set([...fingerprints2, ...pinned.map((e) => e.fingerprint)])], hasPins = expected.length > 0;
  if (!hasPins && !t.insecure) {
    let why = t.pins.knownHosts.length > 0 ? `none of the ${kh} lines applies to ${alias}` : `neither ${kh} nor ${fpInput} is set`;
    throw new HostConnectionError(`refusing to connect to ${alias}: no pinned host key (${why}).
${pinHint(t.host, t.port, t.role)}`);
  }
  hasPins && t.insecure && warnings.push(`insecure-skip-host-key-check is ignored for ${alias} because host key pins are given; the pins are enforced.`);
  let serverHostKey;
  if (fingerprints2.length === 0 && pinned.length > 0) {
    let wanted = new Set(pinned.flatMap((e) => ALGORITHMS_FOR_TYPE[e.keyType] ?? [])), list = PREFERENCE.filter((a) => wanted.has(a));
    serverHostKey = list.length > 0 ? list : void 0;
  }
  return {
    alias,
    insecure: !hasPins,
    expected,
    serverHostKey,
    fingerprintInput: fpInput,
    warnings,
    verify(blob) {
      let fingerprint = fingerprintOf(blob), keyType = keyTypeOf(blob) ?? "unknown", offered = Buffer.from(blob), bad = revoked.find((e) => e.keyBlob.equals(offered));
      return bad ? { ok: !1, fingerprint, keyType, message: `host key of ${alias} refused: the offered key ${fingerprint} (${keyType}) is marked @revoked in ${kh} line ${bad.line}.` } : hasPins ? fingerprints2.includes(fingerprint) ? { ok: !0, fingerprint, keyType, via: "fingerprint" } : pinned.some((e) => e.keyBlob.equals(offered)) ? { ok: !0, fingerprint, keyType, via: "known-hosts" } : {
        ok: !1,
        fingerprint,
        keyType,
        message: `host key of ${alias} does not match the pins: the server offered ${fingerprint} (${keyType}); expected ${expected.length === 1 ? "" : "one of "}${expected.join(", ")}. If the host key was rotated on purpose, update ${kh} / ${fpInput}; otherwise someone may be intercepting the connection.`
      } : { ok: !0, fingerprint, keyType, via: "insecure" };
    }
  };
}
function portHint(e, host, port) {
  return port === 22 || e.patterns === null ? "" : e.patterns.some((p) => p.toLowerCase() === host.toLowerCase()) ? ` (for port ${port} OpenSSH writes the host as [${host}]:${port}, as ssh-keyscan -p ${port} prints it)` : "";
}

// src/host/ssh/options.ts
var Sha256Fingerprint = external_exports.string().trim().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, "expected a host key fingerprint like SHA256:abc... (43 base64 characters), as `ssh-keygen -lf` prints it"), HostPins = external_exports.object({
  /** OpenSSH known_hosts lines (plain, `[host]:port`, hashed `|1|...`, `@revoked`). */
  knownHosts: external_exports.array(external_exports.string()).default([]),
  /** `SHA256:...` fingerprints. */
  fingerprints: external_exports.array(Sha256Fingerprint).default([])
}), Port = external_exports.number().int().min(1).max(65535), Secret = external_exports.string().min(1, "expected a non-empty private key (OpenSSH or PEM text)"), JumpOptions = external_exports.object({
  host: external_exports.string().min(1),
  port: Port.default(22),
  username: external_exports.string().min(1),
  privateKey: Secret,
  passphrase: external_exports.string().optional(),
  pins: HostPins.default({ knownHosts: [], fingerprints: [] }),
  /** When absent, the target's `insecureSkipHostKeyCheck` applies. */
  insecureSkipHostKeyCheck: external_exports.boolean().optional()
}), SshOptions = external_exports.object({
  host: external_exports.string().min(1),
  port: Port.default(22),
  username: external_exports.string().min(1),
  privateKey: Secret,
  passphrase: external_exports.string().optional(),
  pins: HostPins.default({ knownHosts: [], fingerprints: [] }),
  /** Accept any host key (with a loud warning). Ignored, with a warning, when pins are given. */
  insecureSkipHostKeyCheck: external_exports.boolean().default(!1),
  jump: JumpOptions.optional(),
  readyTimeoutMs: external_exports.number().int().positive().default(2e4),
  keepaliveIntervalMs: external_exports.number().int().nonnegative().default(1e4),
  keepaliveCountMax: external_exports.number().int().positive().default(3),
  reconnect: external_exports.object({
    attempts: external_exports.number().int().nonnegative().default(6),
    baseDelayMs: external_exports.number().int().nonnegative().default(500),
    maxDelayMs: external_exports.number().int().nonnegative().default(8e3)
  }).default({ attempts: 6, baseDelayMs: 500, maxDelayMs: 8e3 })
});

// src/host/ssh/relay.ts
var PYTHON_RELAY = `import os, socket, sys, threading, time
path = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    sock.connect(path)
except OSError as e:
    sys.stderr.write("hermes-relay: cannot connect to %s: %s\\n" % (path, e.strerror or e))
    sys.exit(2)
sys.stderr.write("hermes-relay: ready\\n")
sys.stderr.flush()
def upstream():
    try:
        while True:
            data = os.read(0, 65536)
            if not data:
                break
            sock.sendall(data)
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    # like socat's -t: once our side has ended, give the far side a moment, then go
    time.sleep(1)
    os._exit(0)
threading.Thread(target=upstream, daemon=True).start()
while True:
    try:
        data = sock.recv(65536)
    except OSError:
        break
    if not data:
        break
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]
os._exit(0)
`, RELAY_SCRIPT = [
  'if [ "$3" = socat-ok ] && command -v socat >/dev/null 2>&1; then',
  '  echo "hermes-relay: using socat" >&2',
  '  exec socat -d -d - "UNIX-CONNECT:$1"',
  "fi",
  "if command -v python3 >/dev/null 2>&1; then",
  '  echo "hermes-relay: using python3" >&2',
  '  exec python3 -c "$2" "$1"',
  "fi",
  'echo "hermes-relay: neither socat nor python3 is installed on the host" >&2',
  "exit 127"
].join(`
`);
function socatSafe(path) {
  return /^[A-Za-z0-9_./@+=%~-]+$/.test(path);
}
function relayArgv(path) {
  return ["sh", "-c", RELAY_SCRIPT, "hermes-relay", path, PYTHON_RELAY, socatSafe(path) ? "socat-ok" : "python-only"];
}
var READY = /starting data transfer loop|hermes-relay: ready/;
function relayFailure(stderr) {
  let lines = stderr.split(`
`).map((l) => l.trim()).filter((l) => l !== ""), socatError = lines.map((l) => /socat\[\d+\] E (.*)$/.exec(l)?.[1]).find((m) => m !== void 0);
  return socatError ? `socat: ${socatError}` : [...lines].reverse().find((l) => l.startsWith("hermes-relay:") && !l.startsWith("hermes-relay: using")) ?? lines.at(-1) ?? "the relay exited without a message";
}
function openRelay(client, path, timeoutMs, onGone) {
  return new Promise((resolve, reject) => {
    let settled2 = !1, socket = null, fail = (why) => {
      settled2 || (settled2 = !0, clearTimeout(timer), socket?.destroy(), reject(new Error(`relay to the Unix socket ${path} failed: ${why}`)));
    }, timer = setTimeout(() => fail(`not connected after ${timeoutMs} ms`), timeoutMs);
    try {
      client.exec(shellJoin(relayArgv(path)), (err, ch) => {
        if (err) {
          onGone(), fail(`the server refused a session channel (${err.message})`);
          return;
        }
        if (socket = new ChannelSocket(ch, onGone), settled2) {
          socket.destroy();
          return;
        }
        let stderr = "", tool = "unknown";
        ch.stderr.on("data", (c) => {
          settled2 || (stderr = (stderr + c.toString("utf8")).slice(-8192), tool = /hermes-relay: using (\w+)/.exec(stderr)?.[1] ?? tool, READY.test(stderr) && (settled2 = !0, clearTimeout(timer), resolve({ socket, tool })));
        }), ch.on("exit", () => setTimeout(() => fail(relayFailure(stderr)), 250).unref()), ch.on("close", () => fail(relayFailure(stderr)));
      });
    } catch (err) {
      onGone(), fail(`the SSH connection is not open (${err.message})`);
    }
  });
}

// src/host/ssh/slots.ts
var Slots = class {
  free;
  waiters = [];
  constructor(size) {
    this.free = size;
  }
  /** Resolves with a release function once a slot is free; release is idempotent. */
  async acquire() {
    this.free > 0 ? this.free-- : await new Promise((resolve) => this.waiters.push(resolve));
    let released = !1;
    return () => {
      if (released) return;
      released = !0;
      let next = this.waiters.shift();
      next ? next() : this.free++;
    };
  }
};

// src/host/ssh/stream-local.ts
function openStreamLocal(client, path, timeoutMs) {
  return new Promise((resolve, reject) => {
    let settled2 = !1, timer = setTimeout(() => {
      settled2 = !0, reject(new Error(`no answer to the stream-local channel request within ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      client.openssh_forwardOutStreamLocal(path, (err, ch) => {
        if (settled2) {
          err || ch.close();
          return;
        }
        settled2 = !0, clearTimeout(timer), err ? reject(new Error(`stream-local channel refused: ${err.message}`)) : resolve(ch);
      });
    } catch (err) {
      settled2 = !0, clearTimeout(timer), reject(new Error(`stream-local channel not sent: ${err.message}`));
    }
  });
}

// src/host/ssh/connect.ts
var MAX_SESSIONS = 8;
async function connectSsh(input, log) {
  let parsed = SshOptions.safeParse(input);
  if (!parsed.success) {
    let what = parsed.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.message}`).join("; ");
    throw new HostConnectionError(`invalid SSH options: ${what}`);
  }
  let host = new SshHostImpl(parsed.data, log);
  return await host.start(), host;
}
var SshHostImpl = class {
  constructor(opts, log) {
    this.opts = opts;
    this.log = log;
    let insecure = opts.insecureSkipHostKeyCheck;
    this.target = { ...pick(opts), policy: hostKeyPolicy({ host: opts.host, port: opts.port, pins: opts.pins, insecure, role: "target" }) }, this.jump = opts.jump ? { ...pick(opts.jump), policy: hostKeyPolicy({ host: opts.jump.host, port: opts.jump.port, pins: opts.jump.pins, insecure: opts.jump.insecureSkipHostKeyCheck ?? insecure, role: "jump" }) } : null;
    for (let e of [this.target, this.jump])
      if (e) {
        checkPrivateKey(e);
        for (let w of e.policy.warnings) log.warn(w);
      }
    this.who = whoOf(opts);
  }
  opts;
  log;
  kind = "ssh";
  connectionsOpened = 0;
  relayInUse = !1;
  target;
  jump;
  who;
  live = null;
  reconnecting = null;
  closed = !1;
  closing = null;
  abort = new AbortController();
  listeners = /* @__PURE__ */ new Set();
  sockets = /* @__PURE__ */ new Set();
  streamLocalRefused = !1;
  /** Opens the first connection (no retries: a bad first connection is reported at once). */
  async start() {
    await this.attach(), this.log.info(`SSH connected to ${this.who}${this.jump ? ` through ${whoOf(this.jump)}` : ""}`);
  }
  onDisconnect(cb) {
    return this.listeners.add(cb), () => this.listeners.delete(cb);
  }
  async exec(argv, opts) {
    if (argv.length === 0) throw new Error("exec: argv is empty; expected at least the command name");
    let started = Date.now(), live = await this.connectionWithin(opts.timeoutMs, `to run ${argv[0]}`), release = await live.slots.acquire();
    try {
      let timeoutMs = Math.max(1, opts.timeoutMs - (Date.now() - started));
      return await execOnClient(live.dialed.target.client, argv, { ...opts, timeoutMs }, { who: this.who, isAlive: () => live.alive, requestedTimeoutMs: opts.timeoutMs });
    } finally {
      release();
    }
  }
  async openSocket(path, timeoutMs) {
    if (!isAbsolute(path) || path.includes("\0")) throw new Error(`socket path ${JSON.stringify(path)} must be an absolute path on the host (no ~, no NUL)`);
    let started = Date.now(), left = () => Math.max(1, timeoutMs - (Date.now() - started)), live = await this.connectionWithin(timeoutMs, `to open ${path}`), streamLocalError = "";
    if (!this.streamLocalRefused)
      try {
        let ch = await openStreamLocal(live.dialed.target.client, path, left());
        return this.track(new ChannelSocket(ch));
      } catch (err) {
        if (!live.alive) throw new HostConnectionError(`SSH connection to ${this.who} lost while opening the socket ${path}`);
        if (Date.now() - started >= timeoutMs) throw new Error(`opening the Unix socket ${path} on ${this.who} timed out after ${timeoutMs} ms`);
        streamLocalError = err.message;
      }
    let release = await live.slots.acquire();
    try {
      let { socket, tool } = await openRelay(live.dialed.target.client, path, left(), release);
      return this.streamLocalRefused || (this.streamLocalRefused = !0, this.log.info(
        `the SSH server refused a stream-local channel to ${path} (${streamLocalError}; AllowStreamLocalForwarding is probably "no"), so the socket is relayed through ${tool} on the host over an exec channel of the same connection`
      )), this.relayInUse = !0, this.track(socket);
    } catch (err) {
      if (release(), !live.alive) throw new HostConnectionError(`SSH connection to ${this.who} lost while opening the socket ${path}`);
      let via = streamLocalError ? `stream-local: ${streamLocalError}; ` : "";
      throw new Error(`cannot connect to the Unix socket ${path} on ${this.who}: nothing accepted the connection (${via}${err.message})`);
    }
  }
  close() {
    return this.closing ??= this.shutdown(), this.closing;
  }
  async shutdown() {
    this.closed = !0, this.abort.abort();
    for (let s of this.sockets) s.destroy();
    let live = this.live;
    this.live = null, live && await endAll(live.dialed);
  }
  track(socket) {
    return this.sockets.add(socket), socket.once("close", () => this.sockets.delete(socket)), socket;
  }
  /** The live connection, or a HostConnectionError when it is not back within ms (reconnecting carries on). */
  async connectionWithin(ms, what) {
    if (this.live?.alive || this.closed) return this.connection();
    let timer, late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new HostConnectionError(`SSH connection to ${this.who} is down and was not re-established within ${ms} ms ${what}`)), ms);
    }), pending = this.connection();
    pending.catch(() => {
    });
    try {
      return await Promise.race([pending, late]);
    } finally {
      clearTimeout(timer);
    }
  }
  /** The live connection, reconnecting first when it dropped. */
  connection() {
    return this.closed ? Promise.reject(new HostConnectionError(`the SSH host ${this.who} is closed`)) : this.live?.alive ? Promise.resolve(this.live) : (this.reconnecting ??= this.reconnect().finally(() => {
      this.reconnecting = null;
    }), this.reconnecting);
  }
  async reconnect() {
    let { attempts, baseDelayMs, maxDelayMs } = this.opts.reconnect, last = new HostConnectionError("reconnecting is disabled (reconnect.attempts is 0)");
    for (let n = 1; n <= attempts; n++) {
      let delay = backoffDelay(n, baseDelayMs, maxDelayMs);
      if (this.log.warn(`SSH connection to ${this.who} is down; reconnecting (attempt ${n}/${attempts}${delay > 0 ? `, after ${delay} ms` : ""})`), delay > 0 && await sleep2(delay, void 0, { signal: this.abort.signal }).catch(() => {
      }), this.closed) throw new HostConnectionError(`the SSH host ${this.who} was closed while reconnecting`);
      try {
        let live = await this.attach();
        return this.log.warn(`SSH connection to ${this.who} re-established (host key verified again)`), live;
      } catch (err) {
        if (last = err, isPermanent(err) || this.closed) throw err;
        this.log.warn(`reconnect attempt ${n}/${attempts} to ${this.who} failed: ${err.message}`);
      }
    }
    let why = last instanceof Error ? last.message : String(last);
    throw new HostConnectionError(`SSH connection to ${this.who} lost and could not be re-established after ${attempts} attempts; last error: ${why}`);
  }
  /** Dials, counts the connection, and watches it for an unexpected drop. */
  async attach() {
    let dialed = await dial(this.opts, this.target, this.jump, this.log);
    if (this.closed)
      throw await endAll(dialed), new HostConnectionError(`the SSH host ${this.who} was closed while connecting`);
    this.connectionsOpened++;
    let live = { dialed, alive: !0, slots: new Slots(MAX_SESSIONS) }, gone = () => {
      if (!live.alive || (live.alive = !1, this.live === live && (this.live = null), endAll(dialed), this.closed)) return;
      let cause = dialed.target.lastError() ?? dialed.jump?.lastError(), why = cause ? wrapSshError(cause, errorContext(this.who, this.opts)).message : "the server closed it", err = new HostConnectionError(`SSH connection to ${this.who} lost (${why})`);
      this.log.warn(err.message);
      for (let cb of this.listeners)
        try {
          cb(err);
        } catch {
        }
    };
    return dialed.target.client.on("close", gone), dialed.jump?.client.on("close", gone), this.live = live, live;
  }
};
function pick(e) {
  return { host: e.host, port: e.port, username: e.username, privateKey: e.privateKey, passphrase: e.passphrase };
}
async function endAll(d) {
  await Promise.all([d.target, d.jump].map((c) => !c || c.isClosed() ? Promise.resolve() : new Promise((resolve) => {
    let timer = setTimeout(() => {
      c.client.destroy(), resolve();
    }, 2e3);
    c.client.once("close", () => {
      clearTimeout(timer), resolve();
    }), c.client.end();
  })));
}

// src/app/engine-params.ts
function engineParams(s) {
  return {
    mode: s.mode,
    targetName: s.report.targetName,
    hermesHome: s.gateway.hermesHome,
    socketPath: s.gateway.socketPath,
    greenCommand: s.gateway.greenCommand,
    workdir: s.gateway.workdir,
    runtime: s.gateway.runtime,
    release: s.gateway.release,
    greenEnv: s.gateway.greenEnv,
    prepareCommand: s.gateway.prepareCommand,
    launcher: s.gateway.launcher,
    systemdUnit: s.gateway.systemdUnit,
    bakeMs: s.bake.bakeMs,
    timeoutMs: s.bake.timeoutMs,
    thresholds: s.bake.thresholds,
    deadlines: s.bake.deadlines,
    handoffId: s.handoffId
  };
}
function sshOptions(s) {
  if (s.transport !== "ssh" || !s.ssh) return null;
  let x = s.ssh;
  return {
    host: x.host,
    port: x.port,
    username: x.username,
    privateKey: x.privateKey,
    ...x.passphrase ? { passphrase: x.passphrase } : {},
    pins: x.pins,
    insecureSkipHostKeyCheck: x.insecureSkipHostKeyCheck,
    readyTimeoutMs: x.readyTimeoutMs,
    ...x.jump ? { jump: { ...x.jump } } : {}
  };
}

// src/app/session.ts
function openHost(s, log) {
  let ssh = sshOptions(s);
  return ssh ? connectSsh(ssh, log) : Promise.resolve(new LocalHost());
}
async function runOnHost(s, hostP, io, started = Date.now()) {
  let p = engineParams(s), host;
  try {
    host = await hostP;
  } catch (e) {
    let out = new OutcomeBuilder(p, started, Date.now), msg = `cannot connect to ${s.report.targetName}: ${e.message}`;
    return s.mode === "preflight" ? (out.checks.push({ name: "host reachable", ok: !1, detail: e.message }), { outcome: out.done("not-ready", msg), host: null }) : { outcome: out.done("failed", msg), host: null };
  }
  try {
    return { outcome: await runMode(p, { host, log: io.log, onPhase: io.onPhase, addSecret: io.addSecret }), host };
  } finally {
    await host.close().catch(() => {
    });
  }
}
function runSession(s, io) {
  let started = Date.now(), hostP = openHost(s, io.log);
  return hostP.catch(() => {
  }), runOnHost(s, hostP, io, started);
}

export {
  parseHandoffId,
  Deadlines,
  Thresholds,
  DEFAULT_DEADLINES,
  PROTOCOL_VERSION,
  exitCodeFor,
  INPUT_NAMES,
  SECRET_INPUTS,
  InputError,
  readSettings,
  secretValues,
  maskSecrets,
  outputsOf,
  writeFileAtomic,
  ensurePrivateDir,
  readToken,
  ensureToken,
  writeVerdict,
  readVerdict,
  isSocket,
  clip,
  MAX_LINE_BYTES,
  FrameConn,
  shellJoin,
  promote,
  LocalHost,
  openHost,
  runOnHost,
  runSession
};
