// `npm start`: the local stack. Until the Pub/Sub emulator and the ingest
// function land, this says what is missing instead of pretending to run.
console.error(
  [
    'Cascade local stack: not built yet.',
    'Available now: the object store (src/storage) and its tests (npm test).',
    'Coming: the local Pub/Sub emulator, the ingest/api/scheduler functions and the demo stream.',
  ].join('\n'),
);
process.exitCode = 1;
