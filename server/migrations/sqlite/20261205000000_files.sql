-- A stored file is a photo, or a report's attached document (PDF, Word, Excel, PowerPoint): the
-- table says so. References to it (file_uploaders) follow the renamed table.
ALTER TABLE photos RENAME TO files;
