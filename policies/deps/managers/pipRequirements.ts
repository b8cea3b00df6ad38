import { dependencyTitle, FileChangeError, type DependencyManager } from './manager';
import { requirementPattern } from './python';

/** requirements.txt: the specifier of the requirement's line (`==1.2.3` → `==1.2.4`); `--hash` lines are refreshed by the artifact half. */
export const pipRequirementsManager: DependencyManager = {
  prTitle: dependencyTitle,
  updateDependency({ packageFile: file, fileContent: text, upgrade: u }) {
    const lines = text.split('\n');
    const [was, now] = [u.currentValue.trim(), u.newValue.trim()];
    const at = (value: string) => lines.findIndex((line) => requirementPattern(u.depName, value).test(line));
    const index = at(was);
    if (index < 0) {
      if (at(now) >= 0) return text; // already written (a retried run)
      throw new FileChangeError(file, u.depName, `cannot find the requirement "${u.depName}${was}" (the file changed since the scan)`);
    }
    lines[index] = lines[index]!.replace(requirementPattern(u.depName, was), (_, head: string) => `${head}${now}`);
    return lines.join('\n');
  },
};
