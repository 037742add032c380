/**
 * `--encoder <dir or url>`: the passage encoder the CLI's embedding indexes are made and queried with — an ONNX
 * sentence encoder folder (src/attribution/onnxEncoder; `encoder.json` + `tokenizer.json` + the ONNX graph, or a
 * sentence-transformers folder) run with onnxruntime-web — instead of the default, the chat model's own hidden states.
 */
import type { PassageEncoder } from '../../src/attribution/encoder.ts';
import { loadOnnxEncoderNode } from '../../src/node/attribution/onnxEncoderNode.ts';
import type { Args } from './_args.ts';

/** The ONNX encoder named by `--encoder`, or null when none is (download progress on stderr). */
export async function onnxEncoderArg(args: Args): Promise<PassageEncoder | null> {
  const where = args.get('encoder');
  if (where === undefined) return null;
  if (where === 'true') throw Object.assign(new Error('missing --encoder <dir or url>'), { code: 'cli/usage' });
  let last = '';
  const enc = await loadOnnxEncoderNode(where, (p) => {
    const line = `encoder ${p.file}: ${p.total ? `${Math.round((100 * p.done) / p.total)} %` : `${p.done} bytes`}`;
    if (line !== last && (p.done === 0 || p.done === p.total)) process.stderr.write(`${line}\n`);
    last = line;
  });
  process.stderr.write(`encoder ${enc.ref.id} (${enc.ref.dims}-d, ${enc.ref.hash.slice(0, 10)}…)\n`);
  return enc;
}
