#!/usr/bin/env node
// The `recur` command.
import { main } from './program.js';

process.exitCode = await main(process.argv);
