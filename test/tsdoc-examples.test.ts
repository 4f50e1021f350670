// Every @example in the TSDoc of the public API type-checks against the built
// package. An example is a fragment: it may use names it does not define (a
// channel `ch`, a value `v`). The check imports what the example uses from
// 'threadline' and declares every other free name as `any` (a value and a
// type), so it catches what a reader would copy wrongly: a misspelled method
// or option, a wrong argument, a misuse of a result. Examples are checked, not
// run.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Inside the package (git-ignored), so that the examples resolve `threadline` to it.
const OUT = `${ROOT}.tmp/tsdoc-examples/`;

/**
 * The names the examples use by convention for a value of the package's own
 * types: declared with that type, so that what the example does with them is
 * checked too (other free names are `any`).
 */
const CONVENTIONS: Record<string, { type: string; imports: string[] }> = {
  ch: { type: 'Channel<any>', imports: ['Channel'] },
  g: { type: 'Group', imports: ['Group'] },
  wg: { type: 'WaitGroup', imports: ['WaitGroup'] },
  fib: { type: 'WorkerTask<[number], number>', imports: ['WorkerTask'] },
};

interface Example {
  /** Where it is documented: `src/file.ts: Name.member`. */
  readonly where: string;
  readonly code: string;
}

/** The names the package root exports, and the source files they come from. */
function packageRoot(): { names: Set<string>; files: string[] } {
  const index = readFileSync(`${ROOT}src/index.ts`, 'utf8');
  const names = new Set<string>();
  for (const m of index.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const n of (m[1] as string).split(',')) {
      const name = n.trim().replace(/^type /, '');
      if (name !== '') names.add(name);
    }
  }
  const files = [...new Set([...index.matchAll(/from '\.\/(.*?)\.js'/g)].map((m) => m[1]))];
  return { names, files: files.map((f) => `src/${f}.ts`) };
}

function exampleTags(node: ts.Node): string[] {
  return ts
    .getJSDocTags(node)
    .filter((t) => t.tagName.text === 'example')
    .map((t) => ts.getTextOfJSDocComment(t.comment) ?? '')
    .filter((code) => code.trim() !== '');
}

/** The @example blocks of the declarations the package root exports, and of their members. */
function publicExamples(): Example[] {
  const { names, files } = packageRoot();
  const out: Example[] = [];
  for (const file of files) {
    const text = readFileSync(`${ROOT}${file}`, 'utf8');
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const add = (node: ts.Node, name: string) => {
      for (const code of exampleTags(node)) out.push({ where: `${file}: ${name}`, code });
    };
    for (const st of sf.statements) {
      const declared = ts.isVariableStatement(st)
        ? st.declarationList.declarations.map((d) => [d, d.name.getText(sf)] as const)
        : 'name' in st && st.name !== undefined
          ? [[st, (st.name as ts.Identifier).text] as const]
          : [];
      for (const [node, name] of declared) {
        if (!names.has(name)) continue;
        add(ts.isVariableDeclaration(node) ? st : node, name);
        if (ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node)) {
          for (const member of node.members) {
            const m = member.name?.getText(sf);
            if (m !== undefined && !m.startsWith('#')) add(member, `${name}.${m}`);
          }
        }
      }
    }
  }
  return out;
}

/** Type-checks each example as a module of its own; returns the problems, one line each. */
function check(examples: Example[], names: Set<string>): string[] {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const imports = examples.map(() => new Set<string>());
  const free = examples.map(() => new Set<string>());
  const fileOf = (i: number) => `${OUT}example-${i}.ts`;
  const write = () => {
    examples.forEach((e, i) => {
      const head =
        (imports[i]?.size
          ? `import { ${[...(imports[i] ?? [])].join(', ')} } from 'threadline';\n`
          : '') +
        [...(free[i] ?? [])]
          .map((n) => {
            const t = CONVENTIONS[n];
            return t === undefined
              ? `declare let ${n}: any;\ntype ${n} = any;\n`
              : `declare let ${n}: ${t.type};\n`;
          })
          .join('');
      writeFileSync(fileOf(i), `${head}export {};\n${e.code}\n`);
    });
  };
  const diagnose = () =>
    ts
      .getPreEmitDiagnostics(
        ts.createProgram(
          examples.map((_, i) => fileOf(i)),
          {
            strict: true,
            target: ts.ScriptTarget.ES2022,
            module: ts.ModuleKind.NodeNext,
            moduleResolution: ts.ModuleResolutionKind.NodeNext,
            lib: ['lib.es2023.d.ts'],
            types: ['node'],
            noEmit: true,
            skipLibCheck: true,
          },
        ),
      )
      .filter((d) => d.file?.fileName.startsWith(OUT));
  const indexOf = (d: ts.Diagnostic) =>
    Number(/example-(\d+)\.ts$/.exec(d.file?.fileName ?? '')?.[1]);
  // Unknown names: 2304 cannot find name, 2552 (with a suggestion), 2749 a value used as a type.
  for (let pass = 0; pass < 4; pass++) {
    write();
    let added = 0;
    for (const d of diagnose()) {
      if (![2304, 2552, 2749].includes(d.code)) continue;
      const name = /'([^']+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, ' '))?.[1];
      const i = indexOf(d);
      if (name === undefined) continue;
      const set = (names.has(name) ? imports[i] : free[i]) as Set<string>;
      if (!set.has(name)) {
        set.add(name);
        added++;
        for (const t of CONVENTIONS[name]?.imports ?? []) imports[i]?.add(t);
      }
    }
    if (added === 0) break;
  }
  write();
  const problems = diagnose().map((d) => {
    const e = examples[indexOf(d)] as Example;
    return `${e.where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
  rmSync(OUT, { recursive: true, force: true });
  return problems;
}

describe('TSDoc examples of the public API', () => {
  const examples = publicExamples();
  const { names } = packageRoot();

  it('are found: every export with TSDoc has at least one', () => {
    expect(examples.length).toBeGreaterThan(40);
    expect(examples.some((e) => e.where.endsWith(': Channel.trySend'))).toBe(true);
    expect(examples.some((e) => e.where.endsWith(': select'))).toBe(true);
  });

  it('type-check against the built package', () => {
    expect(check(examples, names)).toEqual([]);
  }, 60_000);
});
