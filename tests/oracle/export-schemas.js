const fs=require('fs');
const out=process.argv[2];
function strip(o){ if(Array.isArray(o)) return o.map(strip); if(o&&typeof o==='object'){const r={};for(const[k,v] of Object.entries(o)){if(k==='examples'||k==='$schema')continue;r[k]=strip(v);}return r;} return o;}
const cm='./node_modules/@backstage/catalog-model/dist/schema/';
const files={
 'Entity':cm+'Entity.schema.json.cjs.js','EntityEnvelope':cm+'EntityEnvelope.schema.json.cjs.js','EntityMeta':cm+'EntityMeta.schema.json.cjs.js','common':cm+'shared/common.schema.json.cjs.js',
 'API.v1alpha1':cm+'kinds/API.v1alpha1.schema.json.cjs.js','Component.v1alpha1':cm+'kinds/Component.v1alpha1.schema.json.cjs.js','Domain.v1alpha1':cm+'kinds/Domain.v1alpha1.schema.json.cjs.js','Group.v1alpha1':cm+'kinds/Group.v1alpha1.schema.json.cjs.js','Location.v1alpha1':cm+'kinds/Location.v1alpha1.schema.json.cjs.js','Resource.v1alpha1':cm+'kinds/Resource.v1alpha1.schema.json.cjs.js','System.v1alpha1':cm+'kinds/System.v1alpha1.schema.json.cjs.js','User.v1alpha1':cm+'kinds/User.v1alpha1.schema.json.cjs.js',
 'Template.v1beta3':'./node_modules/@backstage/plugin-scaffolder-common/dist/Template.v1beta3.schema.json.cjs.js'};
for(const [name,f] of Object.entries(files)){ fs.writeFileSync(out+'/'+name+'.schema.json', JSON.stringify(strip(require(f).default),null,2)+'\n'); }
