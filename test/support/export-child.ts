/**
 * A Vigil server process for crash tests: opens the store in argv[2] with a file destination
 * `local` at argv[3], starts the job runner, and says "running" on stdout. The test kills it.
 */
import { loadExportSettings } from '../../src/export/config.js';
import { startExportApp } from './export-app.js';

const [dir, destination, admin] = process.argv.slice(2) as [string, string, string];
const exportSettings = loadExportSettings({ VIGIL_EXPORT_DESTINATIONS: JSON.stringify({ local: { type: 'file', directory: destination } }) }, {});
const app = await startExportApp({ dir, admin, jobs: { exportSettings, runner: { pollMs: 50 } } });
app.services.background.start();
process.stdout.write('running\n');
