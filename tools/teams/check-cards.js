#!/usr/bin/env node
// Check Adaptive Cards with Microsoft's renderer library (`adaptivecards`, what Teams renders
// with) against what Teams supports. Long-lived: one JSON card per input line, one JSON answer
// per output line: {"problems": ["..."]} (empty when the card is fine).
//
// A card fails when:
// - the library reports anything while parsing it (unknown element or action types, bad
//   values), or its own validation finds a failure (missing required properties, ...);
// - its `version` is missing or higher than Teams renders on desktop and mobile (1.5:
//   Microsoft Learn, "Adaptive Cards overview" for Copilot Studio: "Teams is also limited to
//   version 1.5");
// - it uses Action.Execute on a card below 1.5 (Microsoft Learn, "Work with Universal Actions
//   for Adaptive Cards": Teams needs version 1.5, or the card stops working);
// - an element, action or property is unknown to the library (a typo or another host's
//   feature: Teams ignores it) or is newer than the card's own `version`.
"use strict";

const readline = require("readline");
const AC = require("adaptivecards/dist/adaptivecards.js");

const TEAMS_MAX = AC.Version.parse("1.5", new AC.SerializationContext());
const EXECUTE_MIN = TEAMS_MAX;
// Objects without a `type` that the schema defines, by the property holding them.
const PLAIN = {
  facts: ["title", "value"],
  choices: ["title", "value"],
};
// Children the library parses outside its property schema, by the type holding them.
const CHILDREN = {
  AdaptiveCard: ["body", "actions"],
  Container: ["items"],
  Column: ["items"],
  ColumnSet: ["columns"],
  ActionSet: ["actions"],
  Table: ["rows"],
  TableRow: ["cells"],
  TableCell: ["items"],
};
// Free-form or host-defined values that are not checked key by key.
const OPAQUE = new Set(["data", "msteams", "$schema", "card"]);

function versionOf(text) {
  const context = new AC.SerializationContext();
  const version = AC.Version.parse(String(text), context);
  return version && version.isValid ? version : undefined;
}

function schemaNames(instance) {
  const schema = instance.getSchema();
  const names = new Map();
  for (let i = 0; i < schema.getCount(); i++) {
    const prop = schema.getItemAt(i);
    names.set(prop.name, prop.targetVersion);
  }
  return names;
}

function walk(node, where, version, problems) {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, `${where}[${i}]`, version, problems));
    return;
  }
  if (node === null || typeof node !== "object") return;
  const type = node.type;
  let known;
  if (typeof type === "string" && type !== "AdaptiveCard") {
    const registry = type.startsWith("Action.") ? AC.GlobalRegistry.actions : AC.GlobalRegistry.elements;
    const registration = registry.findByName(type);
    if (!registration && type in CHILDREN) {
      known = undefined; // a part of its parent (TableRow, TableCell): checked by the parent
    } else if (!registration) {
      problems.push(`${where}: ${type} is not an Adaptive Card type`);
      return;
    }
    if (registration) {
      if (registration.schemaVersion.compareTo(version) > 0) {
        problems.push(`${where}: ${type} needs version ${registration.schemaVersion}, the card says ${version}`);
      }
      known = schemaNames(registry.createInstance(type, AC.Versions.latest));
    }
  } else if (type === "AdaptiveCard") {
    known = schemaNames(new AC.AdaptiveCard());
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === "type") continue;
    const here = `${where}.${key}`;
    if (known) {
      const child = (CHILDREN[type] || []).includes(key);
      if (!known.has(key) && !OPAQUE.has(key) && !child) {
        problems.push(`${here}: ${type} has no property "${key}"`);
        continue;
      }
      const since = known.get(key);
      if (since && since.compareTo(version) > 0) {
        problems.push(`${here}: "${key}" needs version ${since}, the card says ${version}`);
      }
    }
    if (OPAQUE.has(key)) continue;
    if (key in PLAIN && Array.isArray(value)) {
      value.forEach((item, i) => {
        for (const inner of Object.keys(item || {})) {
          if (!PLAIN[key].includes(inner)) problems.push(`${here}[${i}]: unknown property "${inner}"`);
        }
      });
      continue;
    }
    walk(value, here, version, problems);
  }
}

function check(card) {
  const problems = [];
  if (card === null || typeof card !== "object" || card.type !== "AdaptiveCard") {
    return ["not an AdaptiveCard"];
  }
  const version = versionOf(card.version);
  if (!version) return ["version is missing or not a version"];
  if (version.compareTo(TEAMS_MAX) > 0) {
    problems.push(`version ${card.version} is higher than Teams supports (${TEAMS_MAX})`);
  }
  const context = new AC.SerializationContext(TEAMS_MAX);
  const parsed = new AC.AdaptiveCard();
  parsed.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) {
    problems.push(`renderer: ${context.getEventAt(i).message}`);
  }
  const validation = parsed.validateProperties();
  for (const event of validation.validationEvents) {
    problems.push(`renderer validation: ${event.message}`);
  }
  walk(card, "card", version, problems);
  if (JSON.stringify(card).includes('"Action.Execute"') && version.compareTo(EXECUTE_MIN) < 0) {
    problems.push(`Action.Execute needs version ${EXECUTE_MIN} in Teams, the card says ${card.version}`);
  }
  return problems;
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  let answer;
  try {
    answer = { problems: check(JSON.parse(line)) };
  } catch (error) {
    answer = { problems: [`checker: ${error && error.message}`] };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
