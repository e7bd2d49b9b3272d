CREATE TABLE `child` (
  `id` int(11) DEFAULT NULL,
  `pid` int(11) DEFAULT NULL,
  `we``ird` varchar(3) DEFAULT NULL,
  `select` int(11) DEFAULT NULL,
  UNIQUE KEY `id` (`id`),
  KEY `pid` (`pid`),
  CONSTRAINT `fk` FOREIGN KEY (`pid`) REFERENCES `parent` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
