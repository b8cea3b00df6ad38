/**
 * Compile-fail fixtures, checked by `tsc` (which type-checks all of test/; Jest never runs this
 * file): each registry below leaves out a kind, and `@ts-expect-error` fails the type-check if that
 * ever compiles — i.e. if a registry stopped requiring one unit per kind.
 */
import type { ArtifactRegistry } from '../../activities/deps/managers';
import { noArtifacts } from '../../activities/deps/managers/artifacts';
import type { HealthCheckRegistry } from '../../activities/health';
import { httpCheck } from '../../activities/health/http';
import { tcpCheck } from '../../activities/health/tcp';
import type { ChannelRegistry } from '../../activities/notices/channels';
import { emailChannel } from '../../activities/notices/channels/email';
import { webhookChannel } from '../../activities/notices/channels/webhook';
import type { StrategyRegistry } from '../../activities/patch/strategies';
import { aptStrategy } from '../../activities/patch/strategies/apt';
import { dnfStrategy } from '../../activities/patch/strategies/dnf';
import type { ManagerRegistry } from '../../policies/deps/managers';
import { dockerfileManager } from '../../policies/deps/managers/dockerfile';
import { npmManager } from '../../policies/deps/managers/npm';
import type { StrategyDeclarations } from '../../policies/rollout/strategies';

// A patch strategy kind without an implementation (here `command`) does not compile.
// @ts-expect-error Property 'command' is missing
const _strategies: StrategyRegistry = { apt: aptStrategy, dnf: dnfStrategy };

// A patch strategy kind without its declaration for workflows (health target) does not compile.
// @ts-expect-error Property 'command' is missing
const _declarations: StrategyDeclarations = { apt: { healthTarget: () => undefined }, dnf: { healthTarget: () => undefined } };

// A health check kind without a runner (here `command`) does not compile.
// @ts-expect-error Property 'command' is missing
const _healthChecks: HealthCheckRegistry = { http: httpCheck, tcp: tcpCheck };

// A notice channel kind without a delivery (here `slack`) does not compile: no kind reaches the ledger unsent.
// @ts-expect-error Property 'slack' is missing
const _channels: ChannelRegistry = { email: emailChannel, webhook: webhookChannel };

// A dependency manager we open PRs for (`PR_MANAGERS`) without its PR title and file edit (here `github-actions`) does not compile.
// @ts-expect-error Property 'github-actions' is missing
const _managers: ManagerRegistry = { npm: npmManager, dockerfile: dockerfileManager };

// Nor without its artifact refresh, even when it has none to do.
// @ts-expect-error Property 'github-actions' is missing
const _artifacts: ArtifactRegistry = { npm: noArtifacts, dockerfile: noArtifacts };
