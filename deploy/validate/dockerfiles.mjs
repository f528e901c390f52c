// Validates the Dockerfiles in a folder with the Docker language server's validator
// (dockerfile-utils: instruction syntax and arguments, flags, JSON forms, stage references;
// warnings count as problems), then checks what the project needs of each image: a multi-stage
// build whose final stage runs as a non-root USER and declares a HEALTHCHECK (or HEALTHCHECK NONE
// with its reason), and a .dockerignore that keeps Development settings and the demo keys out of
// the build context. Exit code 1 with every problem listed.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import dockerfileUtils from "dockerfile-utils";

const folder = process.argv[2] ?? "../docker";
const ignoreFile = process.argv[3] ?? "../../.dockerignore";
const problems = [];
const files = readdirSync(folder).filter(f => f.endsWith("Dockerfile")).sort();
if (files.length === 0) problems.push(`${folder}: no Dockerfile`);

for (const file of files) {
  const text = readFileSync(join(folder, file), "utf8");
  for (const d of dockerfileUtils.validate(text, { deprecatedMaintainer: "error", emptyContinuationLine: "error", instructionCasing: "error", instructionJSONInSingleQuotes: "error" })) {
    problems.push(`${file}:${d.range.start.line + 1}: ${d.message}`);
  }

  // Instructions of the final stage, continuation lines joined.
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/).map(l => l.trim()).filter(l => l && !l.startsWith("#"));
  const froms = lines.map((l, i) => [l, i]).filter(([l]) => /^FROM\s/i.test(l));
  if (froms.length < 2) problems.push(`${file}: not a multi-stage build (an SDK stage and a runtime stage)`);
  const final = lines.slice(froms.at(-1)?.[1] ?? 0);
  const users = final.filter(l => /^USER\s/i.test(l)).map(l => l.split(/\s+/)[1]);
  if (users.length === 0) problems.push(`${file}: the final stage sets no USER (it would run as root)`);
  else if (/^(root|0)(:|$)/.test(users.at(-1))) problems.push(`${file}: the final stage runs as ${users.at(-1)}`);
  if (!final.some(l => /^HEALTHCHECK\s/i.test(l))) problems.push(`${file}: the final stage declares no HEALTHCHECK`);
  if (final.some(l => /appsettings\.Development\.json/.test(l) && /^(COPY|ADD)\s/i.test(l))) problems.push(`${file}: copies Development settings into the image`);
  console.log(`checked ${file}: ${froms.length} stages, final stage user ${users.at(-1) ?? "root"}`);
}

const ignored = readFileSync(ignoreFile, "utf8").split(/\r?\n/).map(l => l.trim());
for (const needed of ["**/appsettings.Development.json", "**/bin/", "**/obj/"]) {
  if (!ignored.includes(needed)) problems.push(`.dockerignore: must list ${needed}`);
}

if (problems.length) {
  console.error(`Dockerfiles: ${problems.length} problem(s)`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(`Dockerfiles: ${files.length} valid (dockerfile-utils) with a non-root user and a health check each; .dockerignore keeps Development settings out`);
