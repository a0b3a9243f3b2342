#!/usr/bin/env node
// Backstage's verdict on descriptor files, computed with Backstage's own code: the `yaml` parser with the
// options the catalog uses, catalog-model's envelope/entity validators and entity policies, the built-in and
// Template kind validators, and parseEntityRef for relation targets. The orchestration (stage order and the
// error wrapping) mirrors @backstage/plugin-catalog-backend's DefaultCatalogProcessingOrchestrator 4.0.5.
//
// Usage: node verdicts.js ROOT FILE... ; prints one JSON object per document: {file, doc, ref, valid, error}.
'use strict';
const fs = require('fs');
const path = require('path');
const yaml = require('yaml');
const lodash = require('lodash');
const cm = require('@backstage/catalog-model');
const { templateEntityV1beta3Validator } = require('@backstage/plugin-scaffolder-common');

const validateEnvelope = cm.entityEnvelopeSchemaValidator();
const validateEntity = cm.entitySchemaValidator();
const policy = cm.EntityPolicies.allOf([
  new cm.SchemaValidEntityPolicy(),
  new cm.DefaultNamespaceEntityPolicy(),
  new cm.NoForeignRootFieldsEntityPolicy(),
  new cm.FieldFormatEntityPolicy(),
]);
const processors = [
  ['BuiltinKindsEntityProcessor', [cm.apiEntityV1alpha1Validator, cm.componentEntityV1alpha1Validator,
    cm.resourceEntityV1alpha1Validator, cm.groupEntityV1alpha1Validator, cm.locationEntityV1alpha1Validator,
    cm.userEntityV1alpha1Validator, cm.systemEntityV1alpha1Validator, cm.domainEntityV1alpha1Validator]],
  ['ScaffolderEntitiesProcessor', [templateEntityV1beta3Validator]],
];

function causedBy(message, e) {
  return `${message}; caused by ${e.name}: ${e.message}`;
}

function readPlaceholder(root, base, key, value) {
  if (typeof value !== 'string') {
    throw new Error(`Placeholder $${key} expected a string value parameter, in the form of an absolute URL or a relative path`);
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(value)) {
    // Offline, like Callboard's validator: a URL target is not read and stands in as empty content.
    throw Object.assign(new Error('unread'), { unread: true });
  }
  const target = path.resolve(path.dirname(base), value);
  try {
    if (!path.resolve(target).startsWith(path.resolve(root) + path.sep)) throw Object.assign(new Error('outside root'), { name: 'NotAllowedError' });
    return fs.readFileSync(target).toString('utf-8');
  } catch (e) {
    const err = e.code === 'ENOENT' ? Object.assign(new Error(`no such file ${target}`), { name: 'NotFoundError' }) : e;
    throw new Error(`Placeholder $${key} could not read location ${value}, ${err.name}: ${err.message}`);
  }
}

const resolvers = {
  text: (root, base, key, value) => readPlaceholder(root, base, key, value),
  json: (root, base, key, value) => {
    const content = readPlaceholder(root, base, key, value);
    try { return JSON.parse(content); } catch (e) {
      throw new Error(`Placeholder $${key} failed to parse JSON data at ${value}, ${e}`);
    }
  },
  yaml: (root, base, key, value) => {
    const content = readPlaceholder(root, base, key, value);
    const documents = yaml.parseAllDocuments(content, { merge: false }).filter(d => d);
    if (documents.length !== 1) {
      throw new Error(`Placeholder $${key} expected to find exactly one document of data at ${value}, found ${documents.length}`);
    }
    if (documents[0].errors?.length) {
      throw new Error(`Placeholder $${key} found an error in the data at ${value}, ${documents[0].errors[0]}`);
    }
    return documents[0].toJSON();
  },
};

function substitute(data, root, base) {
  if (!data || !(data instanceof Object)) return data;
  if (Array.isArray(data)) return data.map(item => substitute(item, root, base));
  const keys = Object.keys(data);
  if (!keys.some(k => k.startsWith('$'))) {
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, substitute(v, root, base)]));
  } else if (keys.length !== 1) {
    return data;
  }
  const resolver = resolvers[keys[0].substring(1)];
  if (!resolver) return data;
  try {
    return resolver(root, base, keys[0].substring(1), data[keys[0]]);
  } catch (e) {
    if (e.unread) return keys[0] === '$text' ? `(not read: ${data[keys[0]]})` : {};
    throw e;
  }
}

const relationFields = {
  Component: [['owner', 'Group'], ['subcomponentOf', 'Component'], ['providesApis', 'API'], ['consumesApis', 'API'],
    ['dependsOn', undefined], ['dependencyOf', undefined], ['system', 'System']],
  API: [['owner', 'Group'], ['system', 'System']],
  Resource: [['owner', 'Group'], ['dependsOn', undefined], ['dependencyOf', undefined], ['system', 'System']],
  User: [['memberOf', 'Group']],
  Group: [['parent', 'Group'], ['children', 'Group'], ['members', 'User']],
  System: [['owner', 'Group'], ['domain', 'Domain']],
  Domain: [['owner', 'Group'], ['subdomainOf', 'Domain']],
};

async function processEntity(unprocessed, root, base) {
  try {
    validateEnvelope(unprocessed);
  } catch (e) {
    throw new Error(causedBy('InputError: Entity envelope failed validation before processing', e));
  }
  const ref = cm.stringifyEntityRef(unprocessed);
  let entity;
  try {
    entity = substitute(unprocessed, root, base);
  } catch (e) {
    throw new Error(causedBy('InputError: Processor PlaceholderProcessor threw an error while preprocessing', e));
  }
  for (const field of ['spec.providesApis', 'spec.consumesApis', 'spec.dependsOn', 'spec.dependencyOf',
    'spec.memberOf', 'spec.children', 'spec.members']) {
    const value = lodash.get(entity, field);
    if (value && Array.isArray(value) && value.every(v => typeof v === 'string')) lodash.set(entity, field, value.sort());
  }
  try {
    entity = await policy.enforce(entity);
  } catch (e) {
    throw new Error(causedBy(`InputError: Policy check failed for ${cm.stringifyEntityRef(entity)}`, e));
  }
  try {
    validateEntity(entity);
  } catch (e) {
    throw new Error(causedBy(`ConflictError: Entity envelope for ${ref} failed validation after preprocessing`, e));
  }
  let valid = false;
  for (const [name, validators] of processors) {
    try {
      for (const validator of validators) {
        if (await validator.check(entity)) { valid = true; break; }
      }
    } catch (e) {
      throw new Error(causedBy(`InputError: Processor ${name} threw an error while validating the entity ${ref}`, e));
    }
  }
  if (!valid) {
    throw new Error(`InputError: No processor recognized the entity ${ref} as valid, possibly caused by a foreign kind or apiVersion`);
  }
  const selfRef = cm.getCompoundEntityRef(entity);
  const emitFor = (processor, fields) => {
    for (const [field, defaultKind] of fields) {
      const targets = entity.spec[field];
      if (!targets) continue;
      for (const target of [targets].flat()) {
        try {
          cm.parseEntityRef(target, { defaultKind, defaultNamespace: selfRef.namespace });
        } catch (e) {
          throw new Error(causedBy(`InputError: Processor ${processor} threw an error while postprocessing`, e));
        }
      }
    }
  };
  emitFor('BuiltinKindsEntityProcessor', relationFields[entity.kind] || []);
  if (entity.apiVersion === 'scaffolder.backstage.io/v1beta3' && entity.kind === 'Template') {
    emitFor('ScaffolderEntitiesProcessor', [['owner', 'Group']]);
  }
  return cm.stringifyEntityRef(entity);
}

async function verdicts(text, file, root) {
  const rows = [];
  let documents;
  try {
    documents = yaml.parseAllDocuments(text, { merge: false });
  } catch (e) {
    return [{ file, doc: 0, ref: null, valid: false, error: `Failed to parse YAML, ${e}` }];
  }
  if (!Array.isArray(documents)) documents = [documents];
  for (const [index, document] of documents.entries()) {
    const row = { file, doc: index, ref: null, valid: false, error: null };
    if (document.errors?.length) {
      row.error = `YAML error, ${document.errors[0]}`;
    } else {
      const json = document.toJSON();
      if (json === null) continue;
      if (!lodash.isPlainObject(json)) {
        row.error = `Expected object at root, got ${typeof json}`;
      } else {
        try {
          row.ref = await processEntity(json, root, file);
          row.valid = true;
        } catch (e) {
          row.error = e.message;
          try { row.ref = cm.stringifyEntityRef(json); } catch { /* no ref */ }
        }
      }
    }
    rows.push(row);
  }
  return rows;
}

// --serve ROOT: one JSON request {file, text} per line on stdin; the verdicts as JSON lines, then {"end": true}.
async function serve(root) {
  const lines = require('readline').createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const { file, text } = JSON.parse(line);
    for (const row of await verdicts(text, file, root)) process.stdout.write(JSON.stringify(row) + '\n');
    process.stdout.write('{"end": true}\n');
  }
}

async function main() {
  const [first, ...rest] = process.argv.slice(2);
  if (first === '--serve') return serve(rest[0]);
  for (const file of rest) {
    for (const row of await verdicts(fs.readFileSync(file, 'utf8'), file, first)) console.log(JSON.stringify(row));
  }
}

main().catch(e => { console.error(e); process.exit(2); });
