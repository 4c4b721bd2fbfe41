import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ProofService } from '../../integrity/proof-service.js';
import { Refs } from '../schemas.js';
import type { TypedApp } from '../typed.js';

const errors = { '4xx': Refs.Error, 503: Refs.Error };
const Count = (description: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });
const Hash = (description: string) => Type.String({ description: `${description} (32 bytes, standard base64)` });
const Tenant = Type.Optional(Type.String({ description: 'Required with a platform key.' }));
const closed = { additionalProperties: false };

const Checkpoint = Type.Object({
  origin: Type.String({ description: '`vigil/<tenant>`, or `<configured prefix>/<tenant>`' }),
  size: Count('Number of events (leaves) the checkpoint covers'),
  root: Hash('RFC 9162 root of the tree of `size` leaves'),
  note: Type.String({ description: 'The C2SP signed note (tlog-checkpoint), exactly as signed' }),
  created_at: Type.String({ format: 'date-time' }),
});
const VerifierKey = Type.Object({
  key: Type.String({ description: 'name+keyid+base64(0x01 ‖ Ed25519 public key), as Go’s sumdb/note writes it' }),
  name: Type.String(),
  algorithm: Type.Literal('ed25519'),
});
const Inclusion = Type.Object({
  seq: Count("The event's index in its tenant's log"),
  id: Type.String(),
  leaf_hash: Hash('SHA-256(0x00 ‖ the stored canonical JSON)'),
  size: Count('Tree size the proof is for'),
  root: Hash('Root of the tree of `size` leaves'),
  proof: Type.Array(Type.String(), { description: 'RFC 9162 inclusion proof, leaf side first (base64 hashes)' }),
});
const Consistency = Type.Object({
  from: Count('Older tree size'),
  to: Count('Newer tree size'),
  root_from: Hash('Root of the tree of `from` leaves'),
  root_to: Hash('Root of the tree of `to` leaves'),
  proof: Type.Array(Type.String(), { description: 'RFC 9162 consistency proof (base64 hashes); empty when from = to' }),
});
const SeqRange = Type.Object(
  {
    from_seq: Type.Optional(Count('First seq (default 0)')),
    to_seq: Type.Optional(Count('End seq, exclusive (default: the tree size); at most the tree size')),
    tenant: Tenant,
  },
  closed,
);

/**
 * The integrity API (docs/integrity.md): signed checkpoints and the verifier key, inclusion and
 * consistency proofs, and the leaves `vigil verify` recomputes the log from. Reads are not recorded.
 */
export function integrityRoutes(app: FastifyInstance, proofs: ProofService): void {
  const typed = app as TypedApp;

  typed.get(
    '/v1/audit/checkpoint',
    { schema: { tags: ['integrity'], summary: "The tenant's latest signed checkpoint", querystring: Type.Object({ tenant: Tenant }, closed), response: { 200: Checkpoint, ...errors } } },
    async function latestCheckpoint(request) {
      return proofs.checkpoint(request.principal, request.query);
    },
  );

  typed.get(
    '/v1/audit/checkpoint/key',
    { schema: { tags: ['integrity'], summary: 'The verifier key of the checkpoint signatures (pin it out of band)', response: { 200: VerifierKey, ...errors } } },
    async function verifierKey(request) {
      return proofs.verifierKey(request.principal);
    },
  );

  typed.get(
    '/v1/audit/proofs/inclusion',
    {
      schema: {
        tags: ['integrity'],
        summary: 'Inclusion proof of one event (by id or seq) in the tree of `size` leaves',
        querystring: Type.Object(
          {
            id: Type.Optional(Type.String({ description: 'Event id (or give seq)' })),
            seq: Type.Optional(Count('Event seq (or give id)')),
            size: Type.Optional(Count("Tree size (default: the latest checkpoint's)")),
            tenant: Tenant,
          },
          closed,
        ),
        response: { 200: Inclusion, ...errors },
      },
    },
    async function inclusionProof(request) {
      return proofs.inclusion(request.principal, request.query);
    },
  );

  typed.get(
    '/v1/audit/proofs/consistency',
    {
      schema: {
        tags: ['integrity'],
        summary: 'Consistency proof from the tree of `from` leaves to the tree of `to` leaves',
        querystring: Type.Object(
          { from: Count('Older tree size, at least 1'), to: Type.Optional(Count("Newer tree size (default: the latest checkpoint's)")), tenant: Tenant },
          closed,
        ),
        response: { 200: Consistency, ...errors },
      },
    },
    async function consistencyProof(request) {
      return proofs.consistency(request.principal, request.query);
    },
  );

  typed.get(
    '/v1/audit/leaves',
    {
      schema: {
        tags: ['integrity'],
        summary: 'Every stored event in seq order, as NDJSON, byte for byte as hashed (role with verify)',
        querystring: SeqRange,
        response: { 200: Type.Unknown({ description: 'application/x-ndjson, streamed' }), ...errors },
      },
    },
    async function leaves(request, reply) {
      return reply.type('application/x-ndjson; charset=utf-8').send(await proofs.leaves(request.principal, request.query));
    },
  );

  typed.get(
    '/v1/audit/leaf-hashes',
    {
      schema: {
        tags: ['integrity'],
        summary: "The tree's leaf hashes in seq order, 32 bytes each (role with verify)",
        querystring: SeqRange,
        response: { 200: Type.Unknown({ description: 'application/octet-stream, streamed' }), ...errors },
      },
    },
    async function leafHashes(request, reply) {
      return reply.type('application/octet-stream').send(await proofs.leafHashes(request.principal, request.query));
    },
  );
}
