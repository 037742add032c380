/** The WebLLM worker: the WebLlmService (src/services/webLlmService.ts) exposed over comlink. */
import * as Comlink from 'comlink';
import { createWebLlmService } from '../src/services/webLlmService.ts';
import { registerErrorTransfer } from '../src/workerApi/errorTransfer.ts';

registerErrorTransfer();
Comlink.expose(createWebLlmService());
