import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareEntries,
  decodeEntry,
  EntryKind,
  encodeEntry,
  namePieces,
  PIECE_BYTES,
  type Piece,
  prefixDirectoryPieces,
} from '../../../src/storage/fs-layout.ts';
import { compareNames, validateObjectName } from '../../../src/storage/index.ts';
import { mulberry32 } from '../../support/fault-proxy.ts';

describe('fs layout: names to paths', () => {
  const examples: [string, string[]][] = [
    ['a', ['oa']],
    ['streams/a/00001.avro', ['dstreams', 'da', 'o00001.avro']],
    ['é/x y', ['d%C3%A9', 'ox y']],
    ['a:b*c?d"e<f>g|h%', ['oa%3Ab%2Ac%3Fd%22e%3Cf%3Eg%7Ch%25']],
    ['x'.repeat(PIECE_BYTES), [`o${'x'.repeat(PIECE_BYTES)}`]],
    ['x'.repeat(PIECE_BYTES + 1), [`c${'x'.repeat(PIECE_BYTES)}`, 'ox']],
    [`${'x'.repeat(PIECE_BYTES)}/y`, [`c${'x'.repeat(PIECE_BYTES)}`, 'd', 'oy']],
    [`${'x'.repeat(PIECE_BYTES - 1)}/y`, [`d${'x'.repeat(PIECE_BYTES - 1)}`, 'oy']],
  ];
  for (const [name, entries] of examples) {
    it(`maps ${JSON.stringify(name.slice(0, 24))} to ${entries.length} entries`, () => {
      assert.deepEqual(namePieces(name).map(encodeEntry), entries);
    });
  }

  it('keeps every entry within NAME_MAX and round-trips it', () => {
    const worst = '😀'.repeat(256); // 1024 bytes, none of them kept as-is
    for (const name of [worst, 'a/'.repeat(300).concat('z'), `${'é'.repeat(500)}/b`]) {
      validateObjectName(name);
      const pieces = namePieces(name);
      for (const piece of pieces) {
        const entry = encodeEntry(piece);
        assert.ok(Buffer.byteLength(entry) <= 255, `${entry.length} bytes`);
        assert.deepEqual(decodeEntry(entry), piece);
      }
      assert.equal(Buffer.concat(pieces.map((p) => p.key)).toString('utf8'), name);
    }
  });

  it('ignores entries that are not its own', () => {
    for (const entry of [
      '.tmp-0123',
      'x',
      'o',
      'c',
      `c${'x'.repeat(PIECE_BYTES - 1)}`,
      'oa%',
      'oa%4',
      'oa%zz',
      'oa%61',
      'oé',
    ]) {
      assert.equal(decodeEntry(entry), undefined, entry);
    }
  });

  it('lists in byte order: a depth-first walk of sorted directories equals sorting the names', () => {
    const random = mulberry32(2024);
    const alphabet = [
      'a',
      'b',
      '/',
      '!',
      '~',
      '.',
      ' ',
      '0',
      'é',
      '😀',
      '\uff5a',
      'x'.repeat(40),
      'y'.repeat(79),
    ];
    for (let round = 0; round < 30; round++) {
      const names = new Set<string>();
      while (names.size < 300) {
        let name = '';
        const parts = 1 + Math.floor(random() * 8);
        for (let i = 0; i < parts; i++) name += alphabet[Math.floor(random() * alphabet.length)];
        try {
          validateObjectName(name);
          names.add(name);
        } catch {
          // skip names the store rejects anyway
        }
      }
      assert.deepEqual(walk(tree([...names])), [...names].sort(compareNames));
    }
  });

  it('descends straight to the directories a prefix determines', () => {
    assert.deepEqual(prefixDirectoryPieces('a/b/c').map(encodeEntry), ['da', 'db']);
    assert.deepEqual(prefixDirectoryPieces('a/b/').map(encodeEntry), ['da', 'db']);
    assert.deepEqual(prefixDirectoryPieces('ab'), []);
    assert.deepEqual(prefixDirectoryPieces('x'.repeat(PIECE_BYTES)), []);
    assert.deepEqual(
      prefixDirectoryPieces('x'.repeat(PIECE_BYTES + 1)).map((p) => p.kind),
      [EntryKind.longDir],
    );
  });
});

interface Dir {
  entries: Map<string, { piece: Piece; child?: Dir }>;
}

function tree(names: string[]): Dir {
  const root: Dir = { entries: new Map() };
  for (const name of names) {
    let dir = root;
    for (const piece of namePieces(name)) {
      const entry = encodeEntry(piece);
      if (piece.kind === EntryKind.object) {
        dir.entries.set(entry, { piece });
      } else {
        const existing = dir.entries.get(entry) ?? { piece, child: { entries: new Map() } };
        dir.entries.set(entry, existing);
        dir = existing.child!;
      }
    }
  }
  return root;
}

function walk(dir: Dir, base = Buffer.alloc(0)): string[] {
  const out: string[] = [];
  const sorted = [...dir.entries.keys()].map((entry) => decodeEntry(entry)!).sort(compareEntries);
  for (const piece of sorted) {
    const full = Buffer.concat([base, piece.key]);
    const node = dir.entries.get(encodeEntry(piece))!;
    if (piece.kind === EntryKind.object) out.push(full.toString('utf8'));
    else out.push(...walk(node.child!, full));
  }
  return out;
}
