/**
 * The failure converter of an encrypting worker and client (`failureConverterPath` of
 * control/codec.ts's data converter; bundled into the workflow sandbox, so it imports only
 * @temporalio/common): a failure's message and stack trace move into its encoded attributes, which
 * the payload codec encrypts. What stays in clear in a history is "Encoded failure" and the
 * failure's type.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
