/**
 * Runs `oar-clas-train` with the test-only TinyNet registered: the resume test starts this in a
 * child process (through tsx) and kills it mid-epoch.
 */
import { main } from '../../src/cli/train';
import { runCli } from '../../src/cli/common';
import { registerTinyNet } from './fixtures';

registerTinyNet();
void runCli(main);
