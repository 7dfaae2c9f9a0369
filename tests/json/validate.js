#!/usr/bin/env node
// validate.js: check loco's --json output against the shapes in this
// directory (the machine-checkable side of loco-json(7)).  Node 20, no npm
// dependencies.
//
//   node validate.js SCHEMA [FILE]          one JSON document (stdin if no FILE)
//   node validate.js --lines SCHEMA [FILE]  JSON Lines: each line a document
//   node validate.js --fields SCHEMA...     every field name the schemas know
//
// Exit status 0 when the document is valid, 1 when it is not (one line per
// problem on stderr: "validate: PATH: what"), 2 for a bad command line or a
// bad schema.
//
// The schemas are a subset of JSON Schema (draft 7 spelling):
//   type (a name or a list; "integer" is a whole number), properties,
//   required, additionalProperties (boolean or schema), patternProperties,
//   items, minItems, enum, const, minimum, maximum, pattern, oneOf,
//   definitions, $ref ("#/definitions/x", "file.json",
//   "file.json#/definitions/x"), and the annotations $comment, title and
//   description.  Any other keyword is an error, so a typo cannot quietly
//   weaken a check.
// Two differences, both to describe output completely:
//   - An object schema with "properties" and no "additionalProperties"
//     allows no other members: a field loco prints that the schema lacks is
//     a documentation bug.  (Consumers of loco's JSON must still ignore
//     unknown fields; this strictness is for loco's own tests.)
//   - Next to "$ref", "properties" and "required" extend the referenced
//     object schema instead of being checked on their own, so an event can
//     be "the query object plus a type".
// oneOf reports, when no branch fits, the problems of the branch whose
// properties.type.const equals the document's "type" (events), else of
// every branch.
"use strict";

const fs = require("fs");
const path = require("path");

const KEYWORDS = new Set([
	"$schema", "$comment", "title", "description", "type", "properties",
	"required", "additionalProperties", "patternProperties", "items",
	"minItems", "enum", "const", "minimum", "maximum", "pattern", "oneOf",
	"definitions", "$ref",
]);
const TYPES = new Set(["null", "boolean", "object", "array", "number",
	"integer", "string"]);

class SchemaError extends Error {}

const files = new Map();	// absolute path -> parsed schema

function loadFile(file) {
	const abs = path.resolve(file);
	if (!files.has(abs)) {
		let text;
		try {
			text = fs.readFileSync(abs, "utf8");
		} catch (e) {
			throw new SchemaError(`cannot read schema '${file}': ${e.message}`);
		}
		try {
			files.set(abs, JSON.parse(text));
		} catch (e) {
			throw new SchemaError(`schema '${file}' is not JSON: ${e.message}`);
		}
		checkSchema(files.get(abs), abs, "#");
	}
	return { schema: files.get(abs), file: abs };
}

// Reject unknown keywords and malformed values anywhere in a schema.
function checkSchema(s, file, where) {
	const bad = (what) => {
		throw new SchemaError(`${path.basename(file)} ${where}: ${what}`);
	};
	if (typeof s !== "object" || s === null || Array.isArray(s))
		bad("a schema must be an object");
	for (const k of Object.keys(s))
		if (!KEYWORDS.has(k))
			bad(`unknown keyword '${k}'`);
	if ("type" in s)
		for (const t of [].concat(s.type))
			if (!TYPES.has(t))
				bad(`unknown type '${t}'`);
	if ("required" in s && !Array.isArray(s.required))
		bad("required must be an array");
	if ("required" in s && "properties" in s && !("$ref" in s))
		for (const r of s.required)
			if (!(r in s.properties))
				bad(`required '${r}' is not in properties`);
	for (const group of ["properties", "patternProperties", "definitions"])
		for (const [k, v] of Object.entries(s[group] || {}))
			checkSchema(v, file, `${where}/${group}/${k}`);
	if (typeof s.additionalProperties === "object")
		checkSchema(s.additionalProperties, file, `${where}/additionalProperties`);
	if ("items" in s)
		checkSchema(s.items, file, `${where}/items`);
	if ("oneOf" in s) {
		if (!Array.isArray(s.oneOf) || s.oneOf.length === 0)
			bad("oneOf must be a non-empty array");
		s.oneOf.forEach((b, i) => checkSchema(b, file, `${where}/oneOf/${i}`));
	}
	if ("enum" in s && !Array.isArray(s.enum))
		bad("enum must be an array");
	if ("pattern" in s)
		new RegExp(s.pattern);
}

// The schema a $ref names, as seen from file.
function deref(ref, file) {
	const [target, pointer] = ref.split("#");
	const base = target ? loadFile(path.join(path.dirname(file), target)) :
		{ schema: files.get(file), file };
	let s = base.schema;
	for (const part of (pointer || "").split("/").filter(Boolean)) {
		if (s === undefined || typeof s !== "object")
			break;
		s = s[part];
	}
	if (s === undefined)
		throw new SchemaError(`${path.basename(file)}: $ref '${ref}' names nothing`);
	return { schema: s, file: base.file };
}

// Follow $ref, merging "properties" and "required" written next to it.
function resolve(s, file) {
	let depth = 0;
	while (s.$ref !== undefined) {
		if (++depth > 32)
			throw new SchemaError(`$ref '${s.$ref}' loops`);
		const t = deref(s.$ref, file);
		const merged = Object.assign({}, t.schema);
		for (const [k, v] of Object.entries(s))
			if (k !== "$ref" && k !== "properties" && k !== "required")
				merged[k] = v;
		if (s.properties)
			merged.properties = Object.assign({}, t.schema.properties,
			    s.properties);
		if (s.required)
			merged.required = [...(t.schema.required || []), ...s.required];
		s = merged;
		file = t.file;
	}
	return { s, file };
}

function typeOf(v) {
	if (v === null)
		return "null";
	if (Array.isArray(v))
		return "array";
	if (typeof v === "number")
		return Number.isInteger(v) ? "integer" : "number";
	return typeof v;
}

function fits(type, v) {
	const t = typeOf(v);
	return type === t || (type === "number" && t === "integer");
}

function show(v) {
	const s = JSON.stringify(v);
	return s.length > 40 ? s.slice(0, 37) + "..." : s;
}

function member(where, key) {
	return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${where}.${key}` :
	    `${where}[${JSON.stringify(key)}]`;
}

// Problems with v under schema s, as "PATH: what" strings.
function check(v, s0, file, where, out) {
	const { s, file: f } = resolve(s0, file);

	if (s.type !== undefined) {
		const types = [].concat(s.type);
		if (!types.some((t) => fits(t, v))) {
			out.push(`${where}: expected ${types.join(" or ")}, got ${typeOf(v)}`);
			return;
		}
	}
	if (s.const !== undefined && JSON.stringify(v) !== JSON.stringify(s.const))
		out.push(`${where}: expected ${show(s.const)}, got ${show(v)}`);
	if (s.enum !== undefined &&
	    !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v)))
		out.push(`${where}: ${show(v)} is not one of ${s.enum.map(show).join(", ")}`);
	if (typeof v === "number") {
		if (s.minimum !== undefined && v < s.minimum)
			out.push(`${where}: ${v} is below ${s.minimum}`);
		if (s.maximum !== undefined && v > s.maximum)
			out.push(`${where}: ${v} is above ${s.maximum}`);
	}
	if (typeof v === "string" && s.pattern !== undefined &&
	    !new RegExp(s.pattern).test(v))
		out.push(`${where}: ${show(v)} does not match /${s.pattern}/`);
	if (Array.isArray(v)) {
		if (s.minItems !== undefined && v.length < s.minItems)
			out.push(`${where}: fewer than ${s.minItems} items`);
		if (s.items !== undefined)
			v.forEach((x, i) => check(x, s.items, f, `${where}[${i}]`, out));
	}
	if (typeOf(v) === "object" && (s.properties || s.patternProperties ||
	    s.additionalProperties !== undefined || s.required)) {
		for (const r of s.required || [])
			if (!(r in v))
				out.push(`${member(where, r)}: missing`);
		const strict = s.properties !== undefined &&
		    s.additionalProperties === undefined;
		for (const [k, x] of Object.entries(v)) {
			const at = member(where, k);
			if (s.properties && k in s.properties) {
				check(x, s.properties[k], f, at, out);
				continue;
			}
			const pat = Object.entries(s.patternProperties || {})
			    .find(([re]) => new RegExp(re).test(k));
			if (pat)
				check(x, pat[1], f, at, out);
			else if (typeof s.additionalProperties === "object")
				check(x, s.additionalProperties, f, at, out);
			else if (s.additionalProperties === false || strict)
				out.push(`${at}: not in the schema`);
		}
	}
	if (s.oneOf !== undefined) {
		const results = s.oneOf.map((b) => {
			const o = [];
			check(v, b, f, where, o);
			return o;
		});
		const ok = results.filter((o) => o.length === 0).length;
		if (ok === 1)
			return;
		if (ok > 1) {
			out.push(`${where}: fits ${ok} branches of oneOf`);
			return;
		}
		const typed = s.oneOf.findIndex((b) => {
			const r = resolve(b, f).s;
			return v !== null && typeof v === "object" && r.properties &&
			    r.properties.type && r.properties.type.const === v.type;
		});
		if (typed >= 0)
			out.push(...results[typed]);
		else if (v !== null && typeof v === "object" && "type" in v)
			out.push(`${member(where, "type")}: unknown ${show(v.type)}`);
		else
			results.forEach((o, i) => o.forEach((m) =>
			    out.push(`${m} (oneOf branch ${i})`)));
	}
}

// Every property name a schema file mentions, through its $refs.
function fields(file, seen, names) {
	const walk = (s, f) => {
		if (s === null || typeof s !== "object")
			return;
		if (typeof s.$ref === "string") {
			const t = deref(s.$ref, f);
			const key = t.file + "#" + s.$ref.split("#")[1];
			if (!seen.has(key)) {
				seen.add(key);
				walk(t.schema, t.file);
			}
		}
		for (const k of Object.keys(s.properties || {}))
			names.add(k);
		for (const [k, v] of Object.entries(s))
			if (k !== "$ref" && k !== "definitions" && typeof v === "object")
				Object.values(k === "items" || k === "additionalProperties" ?
				    { v } : v).forEach((x) => walk(x, f));
	};
	const { schema, file: abs } = loadFile(file);
	walk(schema, abs);
}

function main(argv) {
	let lines = false;
	if (argv[0] === "--fields") {
		const names = new Set();
		for (const f of argv.slice(1))
			fields(f, new Set(), names);
		process.stdout.write([...names].sort().join("\n") + "\n");
		return 0;
	}
	if (argv[0] === "--lines") {
		lines = true;
		argv = argv.slice(1);
	}
	if (argv.length < 1 || argv.length > 2 || argv[0].startsWith("-")) {
		process.stderr.write("usage: validate.js [--lines] schema [file]\n" +
		    "       validate.js --fields schema ...\n");
		return 2;
	}
	const { schema, file } = loadFile(argv[0]);
	const text = fs.readFileSync(argv[1] === undefined ? 0 : argv[1], "utf8");
	const out = [];
	const one = (t, where) => {
		let v;
		try {
			v = JSON.parse(t);
		} catch (e) {
			out.push(`${where}: not JSON: ${e.message}`);
			return;
		}
		check(v, schema, file, where, out);
	};
	if (lines) {
		if (!text.endsWith("\n"))
			out.push("the last line has no newline");
		const ls = text.split("\n");
		if (ls[ls.length - 1] === "")
			ls.pop();
		if (ls.length === 0)
			out.push("no lines");
		ls.forEach((l, i) => one(l, `line ${i + 1}: $`));
	} else
		one(text, "$");
	for (const m of out)
		process.stderr.write(`validate: ${m}\n`);
	return out.length ? 1 : 0;
}

try {
	process.exitCode = main(process.argv.slice(2));
} catch (e) {
	if (!(e instanceof SchemaError))
		throw e;
	process.stderr.write(`validate: ${e.message}\n`);
	process.exitCode = 2;
}
