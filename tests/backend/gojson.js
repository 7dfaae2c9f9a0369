'use strict';
// JSON encoding the way Go's encoding/json writes it, so the test backend's
// bytes look like real Ollama's: '<', '>' and '&' become \u003c, \u003e,
// \u0026, U+2028/U+2029 are escaped, and (optionally, for tests of a client's
// \uXXXX decoder) every non-ASCII character is escaped, non-BMP ones as
// UTF-16 surrogate pairs. Key order is insertion order, as with Go structs.

function hex4(n) {
  return '\\u' + n.toString(16).padStart(4, '0');
}

// JSON.stringify leaves '<', '>', '&' and non-ASCII alone, and those characters
// can only occur inside string literals, so rewriting them afterwards is safe.
function encode(value, asciiEscape) {
  let s = JSON.stringify(value);
  s = s.replace(/[<>&\u2028\u2029]/g, (c) => hex4(c.charCodeAt(0)));
  if (asciiEscape) {
    // JS strings are UTF-16, so a non-BMP character is already two code
    // units here: escaping each unit yields the surrogate pair.
    s = s.replace(/[\u0080-\uffff]/g, (c) => hex4(c.charCodeAt(0)));
  }
  return s;
}

module.exports = { encode };
