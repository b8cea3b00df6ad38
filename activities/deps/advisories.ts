/**
 * Reads the configured OSV dump (dependencies.advisories.osv) and matches it against a scan: the
 * dump is a directory as osv.dev publishes it unzipped, `<Ecosystem>/<ID>.json`, or flat `*.json`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { indexAdvisories, OsvRecordError, parseOsvRecord, type AdvisoryIndex, type OsvRecord } from '../../policies/deps/advisories/osv';
import { OSV_ECOSYSTEMS } from '../../policies/deps/advisories/versions';
import { FAILURE } from '../../policies/common/failures';

/** Every record of the dump, indexed; a missing directory or a bad record is a non-retryable failure naming the setting or the file. */
export async function loadAdvisories(dir: string, organisationFile: string | undefined): Promise<AdvisoryIndex> {
  const setting = `${organisationFile ?? 'the organisation file'}: dependencies.advisories.osv`;
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw ApplicationFailure.nonRetryable(`${setting} ${dir} is not a directory (expected an OSV dump: <Ecosystem>/<ID>.json or *.json)`, FAILURE.AdvisoriesInvalid);
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.json')) files.push(join(dir, entry.name));
    // Only the ecosystems whose versions this code compares: the full dump has dozens more.
    else if (entry.isDirectory() && (OSV_ECOSYSTEMS as readonly string[]).includes(entry.name)) {
      for (const inner of await readdir(join(dir, entry.name), { withFileTypes: true })) {
        if (inner.isFile() && inner.name.endsWith('.json')) files.push(join(dir, entry.name, inner.name));
      }
    }
  }
  const records: OsvRecord[] = [];
  for (const file of files.sort()) {
    try {
      records.push(parseOsvRecord(`${setting}: ${relative(dir, file)}`, await readFile(file, 'utf8')));
    } catch (err) {
      if (err instanceof OsvRecordError) throw ApplicationFailure.nonRetryable(`${err.message} (in ${file})`, FAILURE.AdvisoriesInvalid);
      throw err;
    }
  }
  return indexAdvisories(records);
}
