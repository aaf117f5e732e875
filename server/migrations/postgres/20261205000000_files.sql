-- A stored file is a photo, or a report's attached document (PDF, Word, Excel, PowerPoint): the
-- table says so. References to it (file_uploaders) follow the renamed table.
ALTER TABLE photos RENAME TO files;
ALTER TABLE files RENAME CONSTRAINT photos_pkey TO files_pkey;
ALTER TABLE files RENAME CONSTRAINT photos_uploaded_by_fkey TO files_uploaded_by_fkey;
