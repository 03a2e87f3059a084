// The reporting page (/fill): the county's to-do list, or with ?project=CODE that
// project's reporting forms.

import { byId, setHook } from '../common/dom.js';
import { showPageError, startHeader } from '../common/header.js';
import { showProject } from './project.js';
import { mountTodo } from './todo.js';

async function start() {
  const { rights } = await startHeader();
  const code = new URLSearchParams(window.location.search).get('project');
  byId(code ? 'project-view' : 'todo-view').hidden = false;
  byId('back').hidden = !code;
  if (code) {
    await showProject(code, rights);
  } else {
    await mountTodo({
      list: byId('todo-list'), summary: byId('todo-summary'), month: byId('todo-month'),
      county: byId('todo-county'), onlyMissing: byId('only-missing'),
    });
  }
  setHook('state', 'ready');
}

start().catch(showPageError);
