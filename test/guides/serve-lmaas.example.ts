// file: test/guides/serve-lmaas.example.ts
import type { ScoreRequest } from '@gdfo/spec';
import { createLocalTeacher } from '@gdfo/adapter-local';
import { createLmaasServer, createLmaasTeacher } from '@gdfo/adapter-lmaas';
import { initBackend, tinyModel } from '@gdfo/models';

export async function main() {
  await initBackend({ prefer: 'cpu' });
  // The model behind the service. In production: createLocalTeacher({ checkpoint: shippedCheckpoint('teacher') }).
  const local = await createLocalTeacher({ model: tinyModel({ seed: 1 }), promptLength: 4 });
  const server = createLmaasServer({ teacher: local, host: '127.0.0.1', port: 0, token: 'secret', maxQueue: 16 });
  const { url } = await server.listen();
  try {
    // The client is a Teacher like any other: a pipeline cannot tell it from the in-process one.
    const remote = await createLmaasTeacher({ url, token: 'secret' });
    const request: ScoreRequest = {
      examples: [{ id: 'a', text: 'a gripping , funny film', label: 1 }],
      template: { specVersion: '1.0', text: '{text} . It was {mask} .' },
      verbalizer: { specVersion: '1.0', words: ['bad', 'great'] },
      prompt: { kind: 'continuous-shallow', mode: 'add', length: 4, width: remote.info.width!, values: new Float32Array(4 * remote.info.width!).fill(0.01) },
      purpose: 'train',
    };
    const [viaHttp, inProcess] = [await remote.score(request), await local.score(request)];
    const same = viaHttp.logits.every((v, i) => v === inProcess.logits[i]);
    const refused = await createLmaasTeacher({ url, token: 'wrong' }).then(
      () => 'accepted',
      (err: Error) => err.message,
    );
    return { same, refused };
  } finally {
    await server.close();
  }
}
