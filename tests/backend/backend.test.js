'use strict';
// Lets `node --test tests/backend/` find the self-test: Node 20 only picks up
// files named like *.test.js when given a directory.
require('./selftest.js');
