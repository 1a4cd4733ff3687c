#ifndef PETREL_WEB_H
#define PETREL_WEB_H
#endif
