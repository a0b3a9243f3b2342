#!/usr/bin/env node
// Drives a running Callboard with Backstage's own @backstage/catalog-client and checks every answer.
// Usage: node catalog_client.js BASE_URL LOCATION_URL ; exits non-zero on the first failed check.
'use strict';
const assert = require('node:assert/strict');
const { CatalogClient } = require('@backstage/catalog-client');

const [baseUrl, locationUrl] = process.argv.slice(2);
// Callboard needs an identity on every call: a service token, sent the way Backstage apps send theirs.
const token = process.env.CALLBOARD_TOKEN;
const fetchApi = {
  fetch: (url, init = {}) => {
    const headers = new Headers(init.headers || {});
    if (token) headers.set('Authorization', `Bearer ${token}`);
    return fetch(url, { ...init, headers });
  },
};
const catalog = new CatalogClient({ discoveryApi: { getBaseUrl: async () => `${baseUrl}/api/catalog` }, fetchApi });
const names = items => items.map(e => e.metadata.name);

async function check(name, fn) {
  try {
    await fn();
    console.log(JSON.stringify({ call: name, ok: true }));
  } catch (e) {
    console.log(JSON.stringify({ call: name, ok: false, error: String(e && e.stack || e) }));
    process.exitCode = 1;
  }
}

async function main() {
  await check('getEntities filter+fields+order', async () => {
    const { items } = await catalog.getEntities({
      filter: { kind: 'Component', 'spec.lifecycle': 'production' },
      fields: ['metadata.name', 'spec.owner'],
      order: [{ field: 'metadata.name', order: 'desc' }],
    });
    assert.deepEqual(names(items), ['Playback-Order', 'artist-web']);
    assert.deepEqual(Object.keys(items[0]).sort(), ['metadata', 'spec']);
  });
  await check('getEntities OR filters and paging', async () => {
    const first = await catalog.getEntities({
      filter: [{ kind: 'api' }, { kind: 'resource' }], order: { field: 'metadata.name', order: 'asc' }, limit: 1,
    });
    assert.deepEqual(names(first.items), ['artist-api']);
    const second = await catalog.getEntities({
      filter: [{ kind: 'api' }, { kind: 'resource' }], order: { field: 'metadata.name', order: 'asc' }, limit: 1, offset: 1,
    });
    assert.deepEqual(names(second.items), ['artists-db']);
  });
  await check('getEntityByRef', async () => {
    const entity = await catalog.getEntityByRef('component:default/artist-web');
    assert.equal(entity.metadata.title, 'Artist Web');
    assert.equal(await catalog.getEntityByRef({ kind: 'component', namespace: 'default', name: 'nope' }), undefined);
  });
  await check('getEntitiesByRefs keeps length and order', async () => {
    const { items } = await catalog.getEntitiesByRefs({
      entityRefs: ['group:default/team-a', 'component:default/missing', 'user:default/jane'], fields: ['kind'],
    });
    assert.deepEqual(items, [{ kind: 'Group' }, undefined, { kind: 'User' }]);
  });
  let cursorUsed = false;
  await check('queryEntities with cursor paging and totalItems', async () => {
    const first = await catalog.queryEntities({
      filter: { kind: 'component' }, limit: 2, orderFields: { field: 'metadata.name', order: 'asc' },
    });
    assert.equal(first.totalItems, 3);
    assert.deepEqual(names(first.items), ['artist-lookup', 'artist-web']);
    const second = await catalog.queryEntities({ cursor: first.pageInfo.nextCursor });
    assert.deepEqual(names(second.items), ['Playback-Order']);
    assert.equal(second.pageInfo.nextCursor, undefined);
    const back = await catalog.queryEntities({ cursor: second.pageInfo.prevCursor });
    assert.deepEqual(names(back.items), ['artist-lookup', 'artist-web']);
    const text = await catalog.queryEntities({ fullTextFilter: { term: 'lookup', fields: ['metadata.name'] } });
    assert.deepEqual(names(text.items), ['artist-lookup']);
    cursorUsed = true;
  });
  await check('streamEntities', async () => {
    const pages = [];
    for await (const page of catalog.streamEntities({ filter: { kind: 'group' }, pageSize: 2 })) pages.push(names(page));
    assert.deepEqual(pages.flat().sort(), ['platform', 'team-a', 'team-b']);
    assert.ok(cursorUsed);
  });
  await check('getEntityFacets', async () => {
    const { facets } = await catalog.getEntityFacets({ facets: ['kind', 'spec.type'], filter: { kind: 'component' } });
    assert.deepEqual(facets.kind, [{ value: 'Component', count: 3 }]);
    assert.deepEqual(facets['spec.type'].map(f => f.value).sort(), ['service', 'website']);
  });
  await check('queryEntities with a query predicate, paged through its cursor', async () => {
    // Components that are services or websites and not experimental.
    const query = {
      $all: [
        { kind: 'component' },
        { 'spec.type': { $in: ['Service', 'website'] } },
        { $not: { 'spec.lifecycle': 'experimental' } },
      ],
    };
    const first = await catalog.queryEntities({
      query, limit: 1, orderFields: { field: 'metadata.name', order: 'asc' }, fields: ['metadata.name'],
    });
    assert.equal(first.totalItems, 2);
    assert.deepEqual(names(first.items), ['artist-web']);
    assert.deepEqual(Object.keys(first.items[0]), ['metadata']);
    const second = await catalog.queryEntities({ cursor: first.pageInfo.nextCursor });
    assert.deepEqual(names(second.items), ['Playback-Order']);
    assert.equal(second.pageInfo.nextCursor, undefined);
    // filter and query together are combined with $all by the client.
    const both = await catalog.queryEntities({ filter: { 'spec.owner': 'team-a' }, query: { kind: 'component' } });
    assert.deepEqual(names(both.items), ['artist-web']);
    const anyOf = await catalog.queryEntities({
      query: { $any: [{ 'metadata.name': { $hasPrefix: 'ARTIST-L' } }, { 'metadata.tags': 'java' }] },
      orderFields: { field: 'metadata.name', order: 'asc' },
    });
    assert.deepEqual(names(anyOf.items), ['artist-lookup', 'artist-web']);
    const missing = await catalog.queryEntities({
      query: { kind: 'component', 'metadata.annotations.github.com/project-slug': { $exists: false } },
      orderFields: { field: 'metadata.name', order: 'asc' }, totalItems: 'exclude',
    });
    assert.deepEqual(names(missing.items), ['artist-lookup', 'Playback-Order']);
    assert.equal(missing.totalItems, 0);
    await assert.rejects(catalog.queryEntities({ query: { 'metadata.tags': { $contains: 'java' } } }),
      e => e.name === 'ResponseError' && e.statusCode === 400 && e.body.error.name === 'InputError');
  });
  await check('getEntityFacets and getEntitiesByRefs with a query predicate', async () => {
    const { facets } = await catalog.getEntityFacets({
      facets: ['spec.lifecycle'], query: { kind: 'component', 'spec.type': 'service' },
    });
    assert.deepEqual(facets['spec.lifecycle'], [{ value: 'experimental', count: 1 }, { value: 'production', count: 1 }]);
    const { items } = await catalog.getEntitiesByRefs({
      entityRefs: ['component:default/artist-web', 'api:default/artist-api'], query: { kind: 'api' }, fields: ['kind'],
    });
    assert.deepEqual(items, [undefined, { kind: 'API' }]);
  });
  let added;
  await check('addLocation dry run', async () => {
    const result = await catalog.addLocation({ type: 'url', target: locationUrl, dryRun: true });
    assert.equal(result.exists, false);
    assert.ok(result.entities.some(e => e.metadata.name === 'remote-service'));
  });
  await check('addLocation', async () => {
    added = await catalog.addLocation({ type: 'url', target: locationUrl });
    assert.equal(added.location.target, locationUrl);
    assert.match(added.location.id, /^[0-9a-f-]{36}$/);
    await assert.rejects(catalog.addLocation({ type: 'url', target: locationUrl }),
      e => e.name === 'ResponseError' && e.statusCode === 409 && e.body.error.name === 'ConflictError');
  });
  await check('getLocationByRef / getLocationById', async () => {
    const found = await catalog.getLocationByRef(`url:${locationUrl}`);
    assert.deepEqual(found, added.location);
    assert.deepEqual(await catalog.getLocationById(added.location.id), added.location);
  });
  await check('addLocation with onConflict refresh answers the existing location', async () => {
    const again = await catalog.addLocation({ type: 'url', target: locationUrl, onConflict: 'refresh' });
    assert.deepEqual(again.location, added.location);
    assert.match(added.location.entityRef, /^location:default\/generated-[0-9a-f]{40}$/);
  });
  await check('queryLocations with a predicate and cursor paging; streamLocations', async () => {
    const all = await catalog.queryLocations({});
    assert.equal(all.totalItems, 2); // the one from app-config and the one added above
    const urls = await catalog.queryLocations({ query: { type: 'URL' } });
    assert.deepEqual(urls.items, [added.location]);
    assert.equal(urls.totalItems, 1);
    const first = await catalog.queryLocations({ limit: 1 });
    const second = await catalog.queryLocations({ cursor: first.pageInfo.nextCursor });
    assert.equal(second.pageInfo.nextCursor, undefined);
    assert.deepEqual([...first.items, ...second.items].map(l => l.id), all.items.map(l => l.id));
    assert.ok(all.items[0].id < all.items[1].id); // ordered by id
    const either = await catalog.queryLocations({
      query: { $any: [{ target: { $hasPrefix: locationUrl.slice(0, 12).toUpperCase() } }, { entityRef: 'nope' }] },
    });
    assert.deepEqual(either.items, [added.location]);
    const notUrl = await catalog.queryLocations({ query: { $not: { type: { $in: ['url'] } } } });
    assert.deepEqual(notUrl.items.map(l => l.type), ['file']);
    const streamed = [];
    for await (const page of catalog.streamLocations({ query: { id: { $in: all.items.map(l => l.id) } } })) {
      streamed.push(...page);
    }
    assert.deepEqual(streamed, all.items);
    await assert.rejects(catalog.queryLocations({ query: { kind: 'location' } }),
      e => e.name === 'ResponseError' && e.statusCode === 400 && /entityRef/.test(e.body.error.message));
  });
  await check('updateLocation moves it and keeps its entity ref', async () => {
    const target = `${locationUrl}?branch=next`;
    const moved = await catalog.updateLocation(added.location.id, { type: 'url', target });
    assert.deepEqual(moved, { ...added.location, target });
    assert.deepEqual(await catalog.getLocationById(added.location.id), moved);
    await assert.rejects(catalog.updateLocation('00000000-0000-4000-8000-000000000000', { type: 'url', target }),
      e => e.name === 'ResponseError' && e.statusCode === 404 && e.body.error.name === 'NotFoundError');
    assert.deepEqual(await catalog.updateLocation(added.location.id, { target: locationUrl }), added.location);
  });
  await check('validateEntity', async () => {
    const good = { apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'x' },
      spec: { type: 'service', lifecycle: 'production', owner: 'team-a' } };
    assert.deepEqual(await catalog.validateEntity(good, 'url:https://example.com/x.yaml'), { valid: true });
    const bad = await catalog.validateEntity({ ...good, metadata: { name: 'bad name' } }, 'url:https://example.com/x.yaml');
    assert.equal(bad.valid, false);
    assert.match(bad.errors[0].message, /metadata.name/);
  });
  await check('refreshEntity', async () => {
    await catalog.refreshEntity('component:default/artist-web');
    await assert.rejects(catalog.refreshEntity('component:default/nope'),
      e => e.name === 'ResponseError' && e.statusCode === 404 && e.body.error.name === 'NotFoundError');
  });
  await check('removeEntityByUid', async () => {
    const entity = await catalog.getEntityByRef('component:default/playback-order');
    await catalog.removeEntityByUid(entity.metadata.uid);
    assert.equal(await catalog.getEntityByRef('component:default/playback-order'), undefined);
    await catalog.removeEntityByUid(entity.metadata.uid);
  });
  await check('getEntityAncestors', async () => {
    const ancestry = await catalog.getEntityAncestors({ entityRef: 'component:default/artist-web' });
    assert.equal(ancestry.rootEntityRef, 'component:default/artist-web');
    assert.ok(ancestry.items.length >= 3);
  });
  await check('removeLocationById', async () => {
    await catalog.removeLocationById(added.location.id);
    assert.equal(await catalog.getLocationById(added.location.id), undefined);
  });
}

main().catch(e => { console.error(e); process.exit(2); });
