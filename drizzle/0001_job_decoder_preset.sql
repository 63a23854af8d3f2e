ALTER TABLE `jobs` ADD `decoder` text DEFAULT 'full' NOT NULL;--> statement-breakpoint
ALTER TABLE `jobs` ADD `preset` text DEFAULT 'standard' NOT NULL;