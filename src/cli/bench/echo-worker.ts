// The raw postMessage baseline's worker: echoes each [id, value] message back.
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (m: [number, number]) => parentPort?.postMessage(m));
