// `threadline bench`: runs ./suites.ts and prints the machine, every
// scenario's medians with their spread, and the ratios (or all of it as JSON).

import { availableParallelism, cpus, totalmem } from 'node:os';
import type { BenchOptions } from '../args.js';
import { formatTable } from '../table.js';
import type { ScenarioResult } from './harness.js';
import { type BenchResults, benchPlan, runBench } from './suites.js';

/** The machine a bench ran on. */
export interface MachineInfo {
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpus: number;
  model: string;
  memoryGiB: number;
}

/**
 * machineInfo describes this machine and runtime.
 *
 * @example
 * machineInfo().cpus; // 2
 */
export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpus: availableParallelism(),
    model: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/**
 * renderScenario formats one scenario as a table.
 *
 * @example
 * console.log(renderScenario(result));
 */
export function renderScenario(s: ScenarioResult): string {
  const best = Math.min(...s.variants.map((v) => v.medianNs));
  const rows = s.variants.map((v) => [
    v.name,
    fmtNs(v.medianNs),
    `${fmtNs(v.minNs)} – ${fmtNs(v.maxNs)}`,
    `${(1e9 / v.medianNs).toFixed(0)}/s`,
    `${(v.medianNs / best).toFixed(2)}×`,
  ]);
  return `${s.scenario} (per ${s.unit}; ${s.ops} ops × ${s.variants[0]?.samples.length ?? 0} rounds)\n${formatTable(
    ['variant', 'median', 'spread (min – max)', 'rate', 'vs best'],
    rows,
    ['left', 'right', 'right', 'right', 'right'],
  )}\n`;
}

/**
 * benchCommand runs the bench for the command line and returns the exit code.
 *
 * @example
 * process.exitCode = await benchCommand({ quick: true, json: false });
 */
export async function benchCommand(o: BenchOptions): Promise<number> {
  const machine = machineInfo();
  const plan = benchPlan(o.quick);
  const started = performance.now();
  const log = o.json ? process.stderr : process.stdout;
  log.write(
    `threadline bench${o.quick ? ' --quick' : ''}: Node ${machine.node} (V8 ${machine.v8}), ${machine.platform}/${machine.arch}, ` +
      `${machine.cpus} CPUs (${machine.model}), ${machine.memoryGiB} GiB; pools of ${plan.threads} threads; ` +
      `${plan.rounds} alternating rounds, medians\n\n`,
  );
  const results: BenchResults = await runBench(plan, (s) => {
    if (!o.json) log.write(`${renderScenario(s)}\n`);
    else log.write(`measured: ${s.scenario}\n`);
  });
  const seconds = (performance.now() - started) / 1000;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ command: 'bench', quick: o.quick, machine, plan, seconds, ...results }, null, 2)}\n`,
    );
  } else {
    const rows = results.ratios.map((r) => [
      r.name,
      r.value.toFixed(2),
      r.value <= 1 ? `${(1 / r.value).toFixed(2)}× faster` : `${r.value.toFixed(2)}× slower`,
    ]);
    log.write(
      `Ratios of time per operation, medians of the same run (below 1: the first is faster):\n${formatTable(['ratio', 'value', ''], rows, ['left', 'right', 'left'], 70)}\n\n`,
    );
    log.write(
      `Done in ${seconds.toFixed(1)} s. Compare numbers only within one run on one machine.\n`,
    );
  }
  return 0;
}
